// The data model shared by ingest (producer), checks (consumer), the CLI and the VS Code glue.
// Pure types: no runtime code, no `vscode` import.

/** Where a point came from. Text formats: 1-based `line`. Binary formats: 0-based `record` index. */
export interface Provenance {
  readonly file: string;
  readonly line?: number;
  readonly record?: number;
}

/** What a series means, recognised across naming conventions (see ingest/roles.ts). */
export type Role = 'train_loss' | 'val_loss' | 'grad_norm' | 'learning_rate' | 'accuracy' | 'val_accuracy' | 'other';

export type Split = 'train' | 'val' | 'test' | 'none';

export interface SeriesInfo {
  /** Unique within its run, e.g. "train/loss", "eval_loss", "validation/epoch_loss". */
  readonly key: string;
  /** Display name (may come from a log: treat as untrusted text). */
  readonly name: string;
  readonly role: Role;
  readonly split: Split;
}

/** Read-only columnar view of one scalar series. Index i runs 0 … length-1 in arrival order. */
export interface SeriesView extends SeriesInfo {
  readonly length: number;
  step(i: number): number;
  /** May be NaN or ±Infinity: those are data, never dropped. */
  value(i: number): number;
  /** Milliseconds since the Unix epoch, or NaN when the log has no time. */
  wall(i: number): number;
  /** Epoch number when known, else NaN. */
  epoch(i: number): number;
  provenance(i: number): Provenance;
  /**
   * Optional bulk read (stores with typed-array columns): copies the step or value of points
   * [from, from + n) into out[0, n), clamped to [0, length); the same numbers as step(i) / value(i).
   * Consumers fall back to the per-point accessors when absent.
   */
  readInto?(column: 'step' | 'value', from: number, n: number, out: Float64Array): void;
}

/** A dense n-d array. Integer dtypes wider than 32 bits arrive as Float64Array. */
export interface NDArray {
  readonly dtype: string; // numpy-style: 'f4', 'f8', 'i8', 'b1', …
  readonly shape: readonly number[];
  readonly data: Float64Array | Float32Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array;
}

export type LossFn = 'cross_entropy' | 'sparse_categorical_crossentropy' | 'categorical_crossentropy' | 'bce_with_logits' | 'nll';

export type Reduction = 'mean' | 'sum' | 'none';

/** A logged batch of logits with its labels, for recomputation by the core. */
export interface LogitRecord {
  readonly provenance: Provenance;
  readonly step: number;
  readonly split: Split;
  readonly logits: NDArray;
  /** Class indices [N] (or [N, d…]), or probability / one-hot targets [N, C]. */
  readonly labels: NDArray;
  /** What the training code said it used; undefined = not declared (infer). */
  readonly lossFn?: LossFn;
  readonly reduction?: Reduction;
  readonly labelSmoothing?: number;
  readonly ignoreIndex?: number;
  readonly weight?: NDArray;
  /** The loss the framework logged for this batch, if any (may be non-finite). */
  readonly loggedLoss?: number;
  /** Set when the record could not be read; the check reports it instead of recomputing. */
  readonly error?: string;
  /**
   * `.npy` sidecars named by the record, as written in the log (relative to `dir`, the log's folder).
   * Ingest does not read them: the checks stream them (core/checks/summary.ts); `logits` / `labels` /
   * `weight` named here are empty placeholders.
   */
  readonly sidecars?: { readonly dir: string; readonly logits?: string; readonly labels?: string; readonly weight?: string };
}

/** Malformed input summary, one per file (ingest counts, checks report as `parse-error`). */
export interface ParseErrorSummary {
  readonly file: string;
  readonly count: number;
  readonly firstLine?: number;
  readonly firstRecord?: number;
  readonly firstMessage: string;
}

/** A resumed run: the step went back inside one file (the later points replaced the overlapped range). */
export interface ResumeInfo {
  readonly file: string;
  /** 1-based line (text) or 0-based record (binary) of the first point after the resume */
  readonly line?: number;
  readonly record?: number;
  /** the step it resumed at, and the last step before */
  readonly step: number;
  readonly fromStep: number;
  /** keys of the series that went back at this line */
  readonly series: readonly string[];
  /** points dropped (replaced) over those series */
  readonly dropped: number;
}

/** One training run: a file, or a folder (TensorBoard train/ + validation/, an MLflow run). */
export interface RunView {
  readonly id: string;
  /** Display name (untrusted text). */
  readonly name: string;
  /** File or folder the run was found at. */
  readonly root: string;
  readonly files: readonly string[];
  readonly format: string;
  series(): readonly SeriesView[];
  getSeries(key: string): SeriesView | undefined;
  logitRecords(): readonly LogitRecord[];
  parseErrors(): readonly ParseErrorSummary[];
  /**
   * Run metadata that is not a point (HF `trainer_state.json`: `best_metric`, `best_model_checkpoint`,
   * `best_global_step`, the summary entry's `train_loss`, …). Keys and strings come from the log: untrusted.
   */
  readonly meta?: Readonly<Record<string, number | string>>;
  /** Where the step went back inside a file (resumed runs); absent = none. */
  resumes?(): readonly ResumeInfo[];
  /** Bumped every time the run is reset (truncation / replacement): consumers drop derived state. */
  readonly generation: number;
}

/** What changed in a run since the last update event. */
export interface RunUpdate {
  readonly runId: string;
  /** True when the run was reset (a file truncated/replaced): everything must be recomputed. */
  readonly reset: boolean;
  /** Per series: index of the first new point (points [from, length) are new). */
  readonly appended: ReadonlyArray<{ readonly key: string; readonly from: number }>;
  /** Number of logit records before this update (records [from, length) are new). */
  readonly logitRecordsFrom: number;
  /** The run disappeared (all its files deleted or the user stopped watching). */
  readonly removed?: boolean;
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** A check result, editor-independent. Lines are 1-based; absent line = the whole file. */
export interface Finding {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  readonly step?: number;
  readonly runId?: string;
  readonly seriesKey?: string;
  readonly related?: ReadonlyArray<{ readonly file: string; readonly line?: number; readonly message: string }>;
}
