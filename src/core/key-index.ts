/**
 * A set of strings with a number attached (the file row where each was
 * first seen), stored outside the JavaScript heap as UTF-8 bytes: an import
 * of a million rows remembers two million usernames and emails without
 * growing the garbage-collected heap (and the process) by hundreds of
 * megabytes. Exact: keys are compared in full, never by hash alone.
 */
export class KeyIndex {
  /** The keys' UTF-8 bytes, one after the other. */
  private bytes = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  /** Where the key being looked up is encoded. */
  private scratch = Buffer.allocUnsafe(1024);
  /** Open addressing: per slot [offset + 1 (0 = empty), length, row, hash]. */
  private slots = new Int32Array(4 * 1024);
  private capacity = 1024;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The row recorded for key, or undefined. */
  get(key: string): number | undefined {
    const length = this.encode(key);
    const hash = this.hash(length);
    for (let slot = hash & (this.capacity - 1); ; slot = (slot + 1) & (this.capacity - 1)) {
      const at = slot * 4;
      const offset = this.slots[at]!;
      if (offset === 0) return undefined;
      if (this.slots[at + 3] === hash && this.matches(offset - 1, this.slots[at + 1]!, length)) return this.slots[at + 2];
    }
  }

  /** Records key with its row, unless it is there already. */
  set(key: string, row: number): void {
    this.claim(key, row);
  }

  /** The row recorded for key if there is one; else records this row and returns undefined. */
  claim(key: string, row: number): number | undefined {
    const length = this.encode(key);
    const hash = this.hash(length);
    let slot = hash & (this.capacity - 1);
    for (; ; slot = (slot + 1) & (this.capacity - 1)) {
      const at = slot * 4;
      const offset = this.slots[at]!;
      if (offset === 0) break;
      if (this.slots[at + 3] === hash && this.matches(offset - 1, this.slots[at + 1]!, length)) return this.slots[at + 2];
    }
    const offset = this.store(length);
    if ((this.count + 1) * 2 > this.capacity) {
      this.grow();
      this.insert(offset, length, row, hash);
    } else {
      const at = slot * 4;
      this.slots[at] = offset + 1;
      this.slots[at + 1] = length;
      this.slots[at + 2] = row;
      this.slots[at + 3] = hash;
    }
    this.count++;
    return undefined;
  }

  /** Encodes key into the scratch buffer; returns its length in bytes. */
  private encode(key: string): number {
    if (key.length * 3 > this.scratch.length) this.scratch = Buffer.allocUnsafe(key.length * 3);
    return this.scratch.write(key, 0, 'utf8');
  }

  /** FNV-1a over the scratch bytes. */
  private hash(length: number): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < length; i++) {
      hash ^= this.scratch[i]!;
      hash = Math.imul(hash, 0x01000193);
    }
    return hash | 0;
  }

  private matches(offset: number, length: number, scratchLength: number): boolean {
    return length === scratchLength && this.bytes.compare(this.scratch, 0, length, offset, offset + length) === 0;
  }

  private insert(offset: number, length: number, row: number, hash: number): void {
    for (let slot = hash & (this.capacity - 1); ; slot = (slot + 1) & (this.capacity - 1)) {
      const at = slot * 4;
      if (this.slots[at] !== 0) continue;
      this.slots[at] = offset + 1;
      this.slots[at + 1] = length;
      this.slots[at + 2] = row;
      this.slots[at + 3] = hash;
      return;
    }
  }

  /** Appends the scratch bytes to the store; the store grows by half. */
  private store(length: number): number {
    if (this.used + length > this.bytes.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.used + length, Math.floor(this.bytes.length * 1.5)));
      this.bytes.copy(bigger, 0, 0, this.used);
      this.bytes = bigger;
    }
    const offset = this.used;
    this.scratch.copy(this.bytes, offset, 0, length);
    this.used += length;
    return offset;
  }

  private grow(): void {
    const old = this.slots;
    const oldCapacity = this.capacity;
    this.capacity *= 2;
    this.slots = new Int32Array(this.capacity * 4);
    for (let slot = 0; slot < oldCapacity; slot++) {
      const at = slot * 4;
      if (old[at] !== 0) this.insert(old[at]! - 1, old[at + 1]!, old[at + 2]!, old[at + 3]!);
    }
  }
}
