import { Sandbox } from './helpers';

describe('roster smoke', () => {
  const sandbox = new Sandbox();
  afterAll(() => sandbox.cleanup());

  it('prints help and exits 0', () => {
    const result = sandbox.run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: roster');
  });

  it('adds a user and lists it', () => {
    const id = sandbox.addUser('ada', [], ['teacher']);
    const users = sandbox.json<{ id: number; roles: string[] }[]>(['list']);
    expect(users).toEqual([expect.objectContaining({ id, roles: ['teacher'] })]);
  });
});
