/** The bcrypt that src/workers/bcrypt-backend.js loads: @node-rs/bcrypt, else bcryptjs. */
export declare const name: '@node-rs/bcrypt' | 'bcryptjs';
/** A standard `$2b$` hash. */
export declare function hashSync(password: string, cost: number): string;
export declare function verifySync(password: string, hash: string): boolean;
export declare function hash(password: string, cost: number): Promise<string>;
export declare function verify(password: string, hash: string): Promise<boolean>;
