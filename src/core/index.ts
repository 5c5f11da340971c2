// Public API of the LossWatch numerical core (pure: no vscode import).
export { readNpy, parseNpy, NpyError } from './npy';
export { logSumExp, logSoftmax, softmax } from './softmax';
export {
  softmaxCrossEntropy,
  crossEntropyGrad,
  crossEntropyLoss,
  type CrossEntropyOptions,
  type CrossEntropyResult,
  type CrossEntropyGradResult,
  type TargetKind,
} from './crossEntropy';
export { sigmoidBinaryCrossEntropy, sigmoidBinaryCrossEntropyGrad, type BceOptions, type BceResult, type BceGradResult } from './bce';
export { asTensor, type TensorInput, type TensorLike, type F64Tensor } from './tensor';
export { getKernel as getWasmKernel, type ResidentFloat32 } from './wasm/kernel';
import { getKernel, type ResidentFloat32 } from './wasm/kernel';

/**
 * A float32 array in the SIMD kernel's own memory (null without WebAssembly SIMD): logits placed there are
 * read in place by softmaxCrossEntropy / crossEntropyLoss instead of being copied in block by block.
 * Call `release()` when done with it.
 */
export function residentFloat32(length: number): ResidentFloat32 | null {
  return getKernel()?.residentFloat32(length) ?? null;
}
