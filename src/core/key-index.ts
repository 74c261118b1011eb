/**
 * A set of strings with a number attached (the file row where each was
 * first seen), stored outside the JavaScript heap: an import of a million
 * rows remembers two million usernames and emails without growing the
 * garbage-collected heap (and the process) by hundreds of megabytes.
 * Exact: keys are compared in full, never by hash alone.
 */
export class KeyIndex {
  /** The keys' UTF-16 code units, one after the other. */
  private chars = new Uint16Array(1 << 16);
  private used = 0;
  /** Open addressing: per slot [offset + 1 (0 = empty), length, row, hash]. */
  private slots = new Int32Array(4 * 1024);
  private capacity = 1024;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** The row recorded for key, or undefined. */
  get(key: string): number | undefined {
    const hash = hashOf(key);
    for (let slot = hash & (this.capacity - 1); ; slot = (slot + 1) & (this.capacity - 1)) {
      const at = slot * 4;
      const offset = this.slots[at]!;
      if (offset === 0) return undefined;
      if (this.slots[at + 3] === hash && this.equals(offset - 1, this.slots[at + 1]!, key)) return this.slots[at + 2];
    }
  }

  /** Records key with its row, unless it is there already. */
  set(key: string, row: number): void {
    this.claim(key, row);
  }

  /** The row recorded for key if there is one; else records this row and returns undefined. */
  claim(key: string, row: number): number | undefined {
    const hash = hashOf(key);
    let slot = hash & (this.capacity - 1);
    for (; ; slot = (slot + 1) & (this.capacity - 1)) {
      const at = slot * 4;
      const offset = this.slots[at]!;
      if (offset === 0) break;
      if (this.slots[at + 3] === hash && this.equals(offset - 1, this.slots[at + 1]!, key)) return this.slots[at + 2];
    }
    if ((this.count + 1) * 2 > this.capacity) {
      this.grow();
      this.insert(this.store(key), key.length, row, hash);
    } else {
      const at = slot * 4;
      this.slots[at] = this.store(key) + 1;
      this.slots[at + 1] = key.length;
      this.slots[at + 2] = row;
      this.slots[at + 3] = hash;
    }
    this.count++;
    return undefined;
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

  private store(key: string): number {
    while (this.used + key.length > this.chars.length) {
      const bigger = new Uint16Array(this.chars.length * 2);
      bigger.set(this.chars.subarray(0, this.used));
      this.chars = bigger;
    }
    const offset = this.used;
    for (let i = 0; i < key.length; i++) this.chars[offset + i] = key.charCodeAt(i);
    this.used += key.length;
    return offset;
  }

  private equals(offset: number, length: number, key: string): boolean {
    if (length !== key.length) return false;
    for (let i = 0; i < length; i++) if (this.chars[offset + i] !== key.charCodeAt(i)) return false;
    return true;
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

/** FNV-1a over the UTF-16 code units. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}
