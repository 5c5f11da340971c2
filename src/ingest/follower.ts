// Follows one file: reads only appended bytes; truncation, in-place rewrite (first bytes changed),
// replacement/rotation (inode changed: the old file is finished first) and delete + recreate restart it;
// fs.watch on the parent folder (shared) plus a safety stat poll, or pure polling (network file systems).
// Bursts of events coalesce into one read pass; passes never overlap.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

// Only regular files are read: a FIFO, socket or device matched as a log would block a reader forever
// (an `open` of a FIFO waits for a writer and ties up a libuv thread). Files are stat'ed first, opened
// non-blocking and re-checked with fstat on the descriptor (the path may be swapped in between).
// Reads are bounded: buffers are sized to the file (at most `chunkBytes`), whole-file formats are read in
// slices of at most 64 MiB and refused past `maxWholeBytes`.
export type RestartReason = 'truncated' | 'rewritten' | 'replaced' | 'recreated';

export interface FollowerHooks {
  /** Appended bytes, in order. The buffer is reused after the call returns: copy what you keep. */
  data(chunk: Uint8Array): void;
  /**
   * Whole-file mode: the complete current content. Returns a reason string when the content is incomplete
   * (caught mid-write): the file is read again after a quiet period, and if it is still incomplete and
   * unchanged the reason is reported through `ioError`.
   */
  whole?(content: Uint8Array): string | void;
  /** The file restarts from byte 0 (everything read from it before is void). */
  restart(reason: RestartReason): void;
  /** The file was deleted. Following continues: it restarts if the file comes back. */
  gone(): void;
  /** A read pass ended (after data/whole/restart calls). */
  settled(): void;
  /**
   * Optional: a long read pass is about to yield to the event loop between two slices (more bytes follow).
   * Lets the consumer deliver what was parsed so far, so that downstream work (checks) comes in slices too.
   */
  progress?(): void;
  /** Optional bulk first read (worker thread). Returns the offset read up to, or undefined to read normally. */
  bulk?(size: number): Promise<number | undefined>;
  /** Reports unexpected I/O errors (never thrown). */
  ioError?(message: string): void;
}

export interface FollowerOptions {
  pollIntervalMs?: number;
  whole?: boolean;
  chunkBytes?: number;
  /** Safety stat interval in watch mode (fs.watch can miss events); 0 disables. */
  safetyPollMs?: number;
  /** false: read once, never watch (CLI). */
  watch?: boolean;
  /** Whole-file mode: files larger than this are not read (reported once); default 256 MiB. */
  maxWholeBytes?: number;
  /** Whole-file mode: quiet time before an incomplete file is read again; default 1000 ms. */
  wholeRetryMs?: number;
}

/** Largest single read (a read length must fit in an int32 and should not pin huge buffers). */
export const MAX_READ = 64 << 20;
export const DEFAULT_MAX_WHOLE = 256 << 20;
const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

function kindOf(st: fs.Stats): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a folder';
  return 'not a regular file';
}

export class NotRegularFileError extends Error {
  readonly code = 'ENOTREG';
  constructor(file: string, st: fs.Stats) {
    super(`${file}: ${kindOf(st)}, not a regular file: not read`);
  }
}

/**
 * Opens a regular file for reading without ever blocking: stat first (FIFOs, sockets and devices are
 * refused), open with O_NONBLOCK (an open of a FIFO swapped in meanwhile returns at once), then fstat on the
 * descriptor. Throws NotRegularFileError for anything but a regular file, or the fs error.
 */
export async function openRegular(file: string): Promise<fsp.FileHandle> {
  const st = await fsp.stat(file);
  if (!st.isFile()) throw new NotRegularFileError(file, st);
  const fh = await fsp.open(file, fs.constants.O_RDONLY | O_NONBLOCK);
  try {
    const own = await fh.stat();
    if (!own.isFile()) throw new NotRegularFileError(file, own);
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw e;
  }
  return fh;
}

const HEAD = 512;
const EMPTY = new Uint8Array(0);
/**
 * An uninitialised byte array (only the bytes a read filled are ever delivered). A plain Uint8Array view,
 * not a Buffer: parsers rely on Uint8Array semantics (`slice` copies; Buffer's `slice` would share memory).
 */
function uninit(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}
const mib = (n: number): string => `${(n / (1 << 20)).toFixed(n < 10 << 20 ? 1 : 0)} MiB`;

// ---- shared directory watchers ----
const dirWatchers = new Map<string, { w: fs.FSWatcher | undefined; subs: Set<(name: string | null) => void> }>();

function watchDir(dir: string, cb: (name: string | null) => void): () => void {
  let e = dirWatchers.get(dir);
  if (!e) {
    let w: fs.FSWatcher | undefined;
    const subs = new Set<(name: string | null) => void>();
    try {
      w = fs.watch(dir, { persistent: false }, (_ev, name) => {
        for (const s of subs) s(name === null ? null : String(name));
      });
      w.on('error', () => {
        // folder deleted or watcher limit: the safety poll keeps working
        try {
          w?.close();
        } catch {
          /* ignore */
        }
        const cur = dirWatchers.get(dir);
        if (cur) cur.w = undefined;
      });
    } catch {
      w = undefined;
    }
    e = { w, subs };
    dirWatchers.set(dir, e);
  }
  e.subs.add(cb);
  const entry = e;
  return () => {
    entry.subs.delete(cb);
    if (entry.subs.size === 0) {
      try {
        entry.w?.close();
      } catch {
        /* ignore */
      }
      if (dirWatchers.get(dir) === entry) dirWatchers.delete(dir);
    }
  };
}

/**
 * The first `max` bytes of a small side file (MLflow meta.yaml) as UTF-8, or undefined when it is missing
 * or not a regular file. Synchronous but never blocking: O_NONBLOCK open, fstat check, one bounded read
 * (a FIFO or /dev/zero under that name would otherwise hang or exhaust memory).
 */
export function readSmallRegularSync(file: string, max: number): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    if (!fs.fstatSync(fd).isFile()) return undefined;
    const b = Buffer.alloc(max);
    const n = fs.readSync(fd, b, 0, max, 0);
    return b.toString('utf8', 0, n);
  } catch {
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

// ---- shared safety polls ----
// One timer per interval for all followers; each tick re-checks at most SAFETY_BATCH of them, round-robin:
// with thousands of followed files a timer and a stat per file per second would keep the thread pool busy
// forever. Up to SAFETY_BATCH files each is still checked every interval; more share the ticks.
const SAFETY_BATCH = 256;
interface SafetyGroup {
  list: Follower[];
  next: number;
  timer: NodeJS.Timeout;
}
const safetyGroups = new Map<number, SafetyGroup>();

function addSafety(ms: number, f: Follower): () => void {
  let g = safetyGroups.get(ms);
  if (!g) {
    const group: SafetyGroup = {
      list: [],
      next: 0,
      timer: setInterval(() => {
        const n = Math.min(SAFETY_BATCH, group.list.length);
        for (let k = 0; k < n; k++) {
          if (group.next >= group.list.length) group.next = 0;
          group.list[group.next++]!.trigger();
        }
      }, ms),
    };
    group.timer.unref?.();
    g = group;
    safetyGroups.set(ms, g);
  }
  g.list.push(f);
  const group = g;
  return () => {
    const i = group.list.indexOf(f);
    if (i >= 0) {
      group.list.splice(i, 1);
      if (group.next > i) group.next--;
    }
    if (group.list.length === 0) {
      clearInterval(group.timer);
      if (safetyGroups.get(ms) === group) safetyGroups.delete(ms);
    }
  };
}

// ---- turns for long reads ----
// Each slice of a long read waits for its turn: one slice per event-loop iteration over all followers
// (two files loading at once would otherwise run a slice each in the same check phase, twice as long
// without I/O in between, e.g. the extension host's messages).
const turnWaiters: (() => void)[] = [];
let turnPumping = false;
function pumpTurn(): void {
  turnWaiters.shift()?.();
  if (turnWaiters.length > 0) setImmediate(pumpTurn);
  else turnPumping = false;
}
function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => {
    turnWaiters.push(resolve);
    if (!turnPumping) {
      turnPumping = true;
      setImmediate(pumpTurn);
    }
  });
}

/** Read buffer kept between passes (appends of a live log); larger ones are given back after the pass. */
const KEEP_BUF = 64 * 1024;

export class Follower {
  /** Bytes of the current file consumed so far. */
  offset = 0;
  private fh: fsp.FileHandle | undefined;
  private ino = -1;
  private dev = -1;
  private mtimeMs = -1;
  private head: Uint8Array = new Uint8Array(0);
  // read buffers, sized to what is read (at most chunkBytes) and grown geometrically: thousands of small
  // followed files must not each pin a chunk-sized buffer
  private buf: Uint8Array = EMPTY;
  private buf2: Uint8Array = EMPTY; // read-ahead buffer (multi-slice reads only)
  private readonly chunk: number;
  private reportedKind = false;
  private openReported = '';
  private retry: NodeJS.Timeout | undefined;
  private wholeTries = 0;
  private wholeKey = '';
  private wholeReported = '';
  private forceWhole = false;
  private running: Promise<void> | undefined;
  /** A read pass is running or queued (tests and the extension's "settled" signal). */
  get busy(): boolean {
    return this.running !== undefined || this.again;
  }
  private again = false;
  private disposed = false;
  private present = false;
  private timer: NodeJS.Timeout | undefined;
  private safety: (() => void) | undefined;
  private unwatch: (() => void) | undefined;
  private kick: NodeJS.Immediate | undefined;
  private first = true;
  /** Counters for tests and the bench. */
  readonly stats = { passes: 0, restarts: 0, bytes: 0 };

  constructor(
    readonly path: string,
    private readonly hooks: FollowerHooks,
    private readonly opts: FollowerOptions = {},
  ) {
    this.chunk = Math.max(1, Math.min(opts.chunkBytes ?? 1 << 20, MAX_READ));
  }

  /** A buffer of at least min(need, chunk) bytes (contents undefined: reads overwrite what is delivered). */
  private sized(b: Uint8Array, need: number): Uint8Array {
    const want = Math.min(this.chunk, Math.max(1, need));
    if (b.length >= want) return b;
    return uninit(Math.min(this.chunk, Math.max(want, b.length * 2)));
  }

  /** First read; then watching starts (unless watch: false). */
  async start(): Promise<void> {
    await this.check();
    if (this.disposed || this.opts.watch === false) return;
    const poll = this.opts.pollIntervalMs ?? 0;
    if (poll > 0) {
      this.timer = setInterval(() => this.trigger(), poll);
      this.timer.unref?.();
    } else {
      const base = path.basename(this.path);
      this.unwatch = watchDir(path.dirname(this.path), (name) => {
        if (name === null || name === base) this.trigger();
      });
      const safety = this.opts.safetyPollMs ?? 1000;
      if (safety > 0) this.safety = addSafety(safety, this);
    }
  }

  /** Schedules a read pass (coalesced). */
  trigger(): void {
    if (this.disposed || this.kick) return;
    this.kick = setImmediate(() => {
      this.kick = undefined;
      void this.check();
    });
  }

  /** Runs a read pass now (or after the running one). */
  check(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.again = false;
          try {
            await this.pass();
          } catch (e) {
            try {
              this.hooks.ioError?.(`${this.path}: ${e instanceof Error ? e.message : String(e)}`);
            } catch {
              /* a failing hook must not stop the loop */
            }
          }
        } while (this.again && !this.disposed);
      } finally {
        // always cleared: a stuck `running` would turn every later check() into a no-op (appends unread)
        this.running = undefined;
      }
    };
    this.running = run();
    return this.running;
  }

  /** Forgets everything and reads again from byte 0. */
  async reread(): Promise<void> {
    await this.running;
    this.offset = 0;
    this.head = new Uint8Array(0);
    this.mtimeMs = -1;
    await this.check();
  }

  private async closeFh(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    if (fh) await fh.close().catch(() => undefined);
  }

  private async pass(): Promise<void> {
    if (this.disposed) return;
    this.stats.passes++;
    let delivered = false;
    let st: fs.Stats | undefined;
    try {
      st = await fsp.stat(this.path);
    } catch (e) {
      // only a missing file is "gone"; a transient error under load (EMFILE, EBUSY, EACCES…) must not
      // reset the run: report it and let the next event or safety stat try again
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
      st = undefined;
    }
    if (this.fh) {
      // finish the file we have open (it may have been renamed away: rotation)
      const replaced = !st || st.ino !== this.ino || st.dev !== this.dev;
      if (!this.opts.whole) {
        const own = await this.fh.stat();
        if (own.size < this.offset) {
          if (!replaced) {
            await this.restart('truncated');
            delivered = true;
          }
        } else if (!replaced && (own.mtimeMs !== this.mtimeMs || own.size !== this.offset) && (await this.headChanged())) {
          await this.restart('rewritten');
          delivered = true;
        }
        if (own.size > this.offset && !(replaced && own.size < this.offset)) {
          delivered = (await this.readTo(own.size)) || delivered;
        }
        this.mtimeMs = own.mtimeMs;
      }
      if (replaced) {
        await this.closeFh();
        if (!st) {
          this.present = false;
          this.offset = 0;
          this.head = new Uint8Array(0);
          this.hooks.gone();
          this.hooks.settled();
          return;
        }
        if (!this.opts.whole) {
          this.offset = 0;
          this.head = new Uint8Array(0);
          this.stats.restarts++;
          this.hooks.restart('replaced');
          delivered = true;
        }
      }
    }
    if (!st) {
      if (this.present) {
        this.present = false;
        this.hooks.gone();
        this.hooks.settled();
      }
      return;
    }
    if (!st.isFile()) {
      this.reportKind(st);
      return;
    }
    if (!this.fh) {
      const wasGone = !this.present && !this.first;
      try {
        this.fh = await openRegular(this.path);
      } catch (e) {
        if (e instanceof NotRegularFileError) this.reportKind(st, e.message);
        else if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.reportOpen(e); // EACCES, EMFILE…: say so, retry later
        return; // vanished in between; next pass
      }
      this.openReported = '';
      if (this.disposed) {
        await this.closeFh();
        return;
      }
      const own = await this.fh.stat();
      this.ino = own.ino;
      this.dev = own.dev;
      this.present = true;
      if (wasGone && !this.opts.whole) {
        this.offset = 0;
        this.head = new Uint8Array(0);
        this.stats.restarts++;
        this.hooks.restart('recreated');
        delivered = true;
      }
      if (this.opts.whole) {
        delivered = (await this.readWhole(own)) || delivered;
      } else {
        if (this.first && this.hooks.bulk && own.size > 0) {
          const upTo = await this.hooks.bulk(own.size);
          if (upTo !== undefined) {
            this.offset = upTo;
            this.head = await this.readHead();
            delivered = true;
          }
        }
        delivered = (await this.readTo(own.size)) || delivered;
        this.mtimeMs = own.mtimeMs;
      }
      this.first = false;
    } else if (this.opts.whole) {
      const own = await this.fh.stat();
      const force = this.forceWhole;
      this.forceWhole = false;
      if (force || own.mtimeMs !== this.mtimeMs || own.size !== this.offset) delivered = (await this.readWhole(own)) || delivered;
    }
    this.first = false;
    if (delivered) this.hooks.settled();
  }

  private reportOpen(e: unknown): void {
    const msg = `${this.path}: cannot open: ${e instanceof Error ? e.message : String(e)}`;
    if (msg === this.openReported) return;
    this.openReported = msg;
    this.hooks.ioError?.(msg);
  }

  private reportKind(st: fs.Stats, message?: string): void {
    if (this.reportedKind) return;
    this.reportedKind = true;
    this.hooks.ioError?.(message ?? new NotRegularFileError(this.path, st).message);
  }

  private async restart(reason: RestartReason): Promise<void> {
    this.offset = 0;
    this.head = new Uint8Array(0);
    this.stats.restarts++;
    this.hooks.restart(reason);
  }

  private async readHead(): Promise<Uint8Array> {
    if (!this.fh) return new Uint8Array(0);
    const n = Math.min(HEAD, this.offset);
    const h = new Uint8Array(n);
    const { bytesRead } = await this.fh.read(h, 0, n, 0);
    return h.subarray(0, bytesRead);
  }

  private async headChanged(): Promise<boolean> {
    if (this.head.length === 0) return false;
    const h = new Uint8Array(this.head.length);
    const { bytesRead } = await this.fh!.read(h, 0, h.length, 0);
    if (bytesRead < h.length) return true;
    for (let i = 0; i < h.length; i++) if (h[i] !== this.head[i]) return true;
    return false;
  }

  private async readTo(size: number): Promise<boolean> {
    let any = false;
    // Double buffering: the next slice is read (libuv thread pool) while this one is parsed.
    this.buf = this.sized(this.buf, size - this.offset);
    let cur = this.buf;
    let next: Promise<{ bytesRead: number }> | undefined;
    const start = (into: Uint8Array, at: number): Promise<{ bytesRead: number }> | undefined => {
      if (at >= size || this.disposed || !this.fh) return undefined;
      const p = this.fh.read(into, 0, Math.min(into.length, size - at), at);
      p.catch(() => undefined); // an abandoned read-ahead must not become an unhandled rejection
      return p;
    };
    let at = this.offset; // where the pending read started
    next = start(cur, at);
    try {
      while (next !== undefined && !this.disposed && this.fh) {
        const { bytesRead } = await next;
        next = undefined;
        // stop if disposed, or if the offset moved meanwhile (a restart): the next pass reads from there
        if (bytesRead <= 0 || this.disposed || this.offset !== at) break;
        const chunk = cur.subarray(0, bytesRead);
        if (this.offset + bytesRead < size) {
          if (this.buf2.length < this.buf.length) this.buf2 = uninit(this.buf.length);
          const alt = cur === this.buf ? this.buf2 : this.buf;
          at = this.offset + bytesRead;
          next = start(alt, at);
          cur = alt;
        }
        if (this.head.length < HEAD && this.offset < HEAD) {
          const take = Math.min(HEAD - this.offset, bytesRead);
          const h = new Uint8Array(this.offset + take);
          h.set(this.head.subarray(0, this.offset));
          h.set(chunk.subarray(0, take), this.offset);
          this.head = h;
        }
        this.offset += bytesRead;
        this.stats.bytes += bytesRead;
        this.hooks.data(chunk);
        any = true;
        if (next !== undefined) {
          this.hooks.progress?.();
          await nextTurn(); // keep the host responsive: one slice of all long reads per event-loop turn
        }
      }
    } finally {
      // A read-ahead still in flight (a hook threw, or the handle went away) would land in a buffer the
      // next pass reads into: let it finish first, so no stale bytes are ever parsed.
      if (next !== undefined) await next.catch(() => undefined);
      if (this.buf.length > KEEP_BUF) {
        // nothing reads into them any more: a followed file keeps a small buffer for its appends
        this.buf = EMPTY;
        this.buf2 = EMPTY;
      }
    }
    return any;
  }

  private async readWhole(own: fs.Stats): Promise<boolean> {
    if (!this.fh) return false;
    const size = own.size;
    const cap = this.opts.maxWholeBytes ?? DEFAULT_MAX_WHOLE;
    this.offset = size;
    this.mtimeMs = own.mtimeMs;
    if (size > cap) {
      const msg = `${this.path}: ${mib(size)} is larger than the ${mib(cap)} limit for whole-file formats (setting losswatch.limits.wholeFileMiB): not read`;
      if (this.wholeReported !== msg) {
        this.wholeReported = msg;
        this.hooks.ioError?.(msg);
      }
      return true;
    }
    // in slices of at most MAX_READ bytes: one read of the whole size fails past 2 GiB (int32 length)
    const out = new Uint8Array(size);
    let at = 0;
    while (at < size && !this.disposed) {
      const { bytesRead } = await this.fh.read(out, at, Math.min(MAX_READ, size - at), at);
      if (bytesRead <= 0) break;
      at += bytesRead;
    }
    if (this.disposed) return false;
    this.offset = at;
    this.stats.bytes += at;
    const incomplete = this.hooks.whole?.(out.subarray(0, at));
    if (typeof incomplete === 'string') this.incompleteWhole(incomplete, `${at}:${own.mtimeMs}`);
    else {
      this.wholeTries = 0;
      this.wholeReported = '';
    }
    return true;
  }

  /** An incomplete whole file: read it again after a quiet period; still incomplete and unchanged: report. */
  private incompleteWhole(reason: string, key: string): void {
    if (key !== this.wholeKey) {
      this.wholeKey = key;
      this.wholeTries = 0;
    }
    if (this.opts.watch === false || this.wholeTries >= 2) {
      const msg = `${this.path}: unreadable: ${reason}`;
      if (this.wholeReported !== msg) {
        this.wholeReported = msg;
        this.hooks.ioError?.(msg);
      }
      return;
    }
    this.wholeTries++;
    if (this.retry) clearTimeout(this.retry);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.forceWhole = true;
      this.trigger();
    }, this.opts.wholeRetryMs ?? 1000);
    this.retry.unref?.();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    this.safety?.();
    this.safety = undefined;
    if (this.kick) clearImmediate(this.kick);
    if (this.retry) clearTimeout(this.retry);
    this.unwatch?.();
    this.unwatch = undefined;
    void this.closeFh();
  }
}
