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
export {
  sigmoidBinaryCrossEntropy,
  sigmoidBinaryCrossEntropyGrad,
  type BceOptions,
  type BceResult,
  type BceGradResult,
} from './bce';
export { asTensor, type TensorInput, type TensorLike, type F64Tensor } from './tensor';
export { getKernel as getWasmKernel } from './wasm/kernel';
