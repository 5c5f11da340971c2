// Follows one file: reads only appended bytes; truncation, in-place rewrite (first bytes changed),
// replacement/rotation (inode changed: the old file is finished first) and delete + recreate restart it;
// fs.watch on the parent folder (shared) plus a safety stat poll, or pure polling (network file systems).
// Bursts of events coalesce into one read pass; passes never overlap.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';

export type RestartReason = 'truncated' | 'rewritten' | 'replaced' | 'recreated';

export interface FollowerHooks {
  /** Appended bytes, in order. The buffer is reused after the call returns: copy what you keep. */
  data(chunk: Uint8Array): void;
  /** Whole-file mode: the complete current content. */
  whole?(content: Uint8Array): void;
  /** The file restarts from byte 0 (everything read from it before is void). */
  restart(reason: RestartReason): void;
  /** The file was deleted. Following continues: it restarts if the file comes back. */
  gone(): void;
  /** A read pass ended (after data/whole/restart calls). */
  settled(): void;
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
}

const HEAD = 512;

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
  // Read buffers: sized to the pass (a live append needs a few KiB, a first read up to chunkBytes) and
  // given back after a large pass, so that hundreds of followed files do not each hold 2 × chunkBytes.
  private buf: Uint8Array = new Uint8Array(0);
  private buf2: Uint8Array | undefined; // read-ahead buffer (allocated for multi-slice reads only)
  private running: Promise<void> | undefined;
  private again = false;
  private disposed = false;
  private present = false;
  private timer: NodeJS.Timeout | undefined;
  private safety: NodeJS.Timeout | undefined;
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
      if (safety > 0) {
        this.safety = setInterval(() => this.trigger(), safety);
        this.safety.unref?.();
      }
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
    if (!st.isFile()) return;
    if (!this.fh) {
      const wasGone = !this.present && !this.first;
      try {
        this.fh = await fsp.open(this.path, 'r');
      } catch {
        return; // vanished in between; next pass
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
      if (own.mtimeMs !== this.mtimeMs || own.size !== this.offset) delivered = (await this.readWhole(own)) || delivered;
    }
    this.first = false;
    if (delivered) this.hooks.settled();
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
    const want = Math.min(this.opts.chunkBytes ?? 1 << 20, Math.max(KEEP_BUF, size - this.offset));
    if (this.buf.length < want) {
      this.buf = new Uint8Array(want);
      this.buf2 = undefined;
    }
    // Double buffering: the next slice is read (libuv thread pool) while this one is parsed.
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
          const other = (this.buf2 ??= new Uint8Array(this.buf.length));
          const alt = cur === this.buf ? other : this.buf;
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
        if (next !== undefined) await new Promise<void>((r) => setImmediate(r)); // keep the host responsive
      }
    } finally {
      // A read-ahead still in flight (a hook threw, or the handle went away) would land in a buffer the
      // next pass reads into: let it finish first, so no stale bytes are ever parsed.
      if (next !== undefined) await next.catch(() => undefined);
      if (this.buf.length > KEEP_BUF) {
        // nothing reads into them any more: a followed file keeps a small buffer for its appends
        this.buf = new Uint8Array(0);
        this.buf2 = undefined;
      }
    }
    return any;
  }

  private async readWhole(own: fs.Stats): Promise<boolean> {
    if (!this.fh) return false;
    const size = own.size;
    const out = new Uint8Array(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await this.fh.read(out, at, size - at, at);
      if (bytesRead <= 0) break;
      at += bytesRead;
    }
    this.offset = at;
    this.mtimeMs = own.mtimeMs;
    this.stats.bytes += at;
    this.hooks.whole?.(out.subarray(0, at));
    return true;
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.safety) clearInterval(this.safety);
    if (this.kick) clearImmediate(this.kick);
    this.unwatch?.();
    this.unwatch = undefined;
    void this.closeFh();
  }
}
