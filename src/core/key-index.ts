/** Int32s per slot of the hash table. */
const SLOT = 5;

/**
 * A set of strings with a number attached (the file row where each was
 * first seen), stored outside the JavaScript heap as UTF-8 bytes: an import
 * of a million rows remembers two million usernames and emails without
 * growing the garbage-collected heap (and the process) by hundreds of
 * megabytes. Exact: keys are compared in full, never by hash alone. A key
 * may carry a text too (stored after it, in the same bytes).
 */
export class KeyIndex {
  /** The keys' UTF-8 bytes, one after the other. */
  private bytes = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  /** Where the key being looked up is encoded. */
  private scratch = Buffer.allocUnsafe(1024);
  /** Open addressing: per slot [offset + 1 (0 = empty), length, row, hash, length of the text after the key]. */
  private slots = new Int32Array(SLOT * 1024);
  private capacity = 1024;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The row recorded for key, or undefined. */
  get(key: string): number | undefined {
    const at = this.find(key);
    return at === undefined ? undefined : this.slots[at + 2];
  }

  /** The row and the text recorded for key, or undefined. */
  entry(key: string): { row: number; text: string } | undefined {
    const at = this.find(key);
    if (at === undefined) return undefined;
    const textAt = this.slots[at]! - 1 + this.slots[at + 1]!;
    return { row: this.slots[at + 2]!, text: this.bytes.toString('utf8', textAt, textAt + this.slots[at + 4]!) };
  }

  /** The slot's first index of key, or undefined. */
  private find(key: string): number | undefined {
    const length = this.encode(key);
    const hash = this.hash(length);
    for (let slot = hash & (this.capacity - 1); ; slot = (slot + 1) & (this.capacity - 1)) {
      const at = slot * SLOT;
      const offset = this.slots[at]!;
      if (offset === 0) return undefined;
      if (this.slots[at + 3] === hash && this.matches(offset - 1, this.slots[at + 1]!, length)) return at;
    }
  }

  /** Records key with its row, unless it is there already. */
  set(key: string, row: number): void {
    this.claim(key, row);
  }

  /** The row recorded for key if there is one; else records this row (and text) and returns undefined. */
  claim(key: string, row: number, text = ''): number | undefined {
    const length = this.encode(key);
    const hash = this.hash(length);
    let slot = hash & (this.capacity - 1);
    for (; ; slot = (slot + 1) & (this.capacity - 1)) {
      const at = slot * SLOT;
      const offset = this.slots[at]!;
      if (offset === 0) break;
      if (this.slots[at + 3] === hash && this.matches(offset - 1, this.slots[at + 1]!, length)) return this.slots[at + 2];
    }
    const offset = this.store(length);
    const textLength = text ? this.storeText(text) : 0;
    if ((this.count + 1) * 2 > this.capacity) {
      this.grow();
      slot = this.freeSlot(hash);
    }
    this.put(slot * SLOT, offset + 1, length, row, hash, textLength);
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

  /** The first free slot for a hash. */
  private freeSlot(hash: number): number {
    let slot = hash & (this.capacity - 1);
    while (this.slots[slot * SLOT] !== 0) slot = (slot + 1) & (this.capacity - 1);
    return slot;
  }

  private put(at: number, offsetPlusOne: number, length: number, row: number, hash: number, textLength: number): void {
    this.slots[at] = offsetPlusOne;
    this.slots[at + 1] = length;
    this.slots[at + 2] = row;
    this.slots[at + 3] = hash;
    this.slots[at + 4] = textLength;
  }

  /** Appends the scratch bytes to the store; returns where they start. */
  private store(length: number): number {
    this.reserve(length);
    const offset = this.used;
    this.scratch.copy(this.bytes, offset, 0, length);
    this.used += length;
    return offset;
  }

  /** Appends a text to the store, right after the key just stored; returns its length in bytes. */
  private storeText(text: string): number {
    this.reserve(text.length * 3);
    const length = this.bytes.write(text, this.used, 'utf8');
    this.used += length;
    return length;
  }

  /** Room for `length` more bytes: the store grows by half. */
  private reserve(length: number): void {
    if (this.used + length <= this.bytes.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.used + length, Math.floor(this.bytes.length * 1.5)));
    this.bytes.copy(bigger, 0, 0, this.used);
    this.bytes = bigger;
  }

  private grow(): void {
    const old = this.slots;
    const oldCapacity = this.capacity;
    this.capacity *= 2;
    this.slots = new Int32Array(this.capacity * SLOT);
    for (let slot = 0; slot < oldCapacity; slot++) {
      const at = slot * SLOT;
      if (old[at] !== 0) this.put(this.freeSlot(old[at + 3]!) * SLOT, old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]!, old[at + 4]!);
    }
  }
}
