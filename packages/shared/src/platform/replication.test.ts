import { describe, expect, it } from 'vitest';
import { positionOf } from './replication.js';

const lines = (fields: Record<string, string | number>) =>
  `# Replication\r\n${Object.entries(fields)
    .map(([name, value]) => `${name}:${value}`)
    .join('\r\n')}\r\n`;

describe('positionOf', () => {
  it('reads a primary at its own offset, as no replica', () => {
    expect(positionOf(lines({ role: 'master', connected_slaves: 1, master_repl_offset: 4242, second_repl_offset: -1 }))).toEqual({
      offset: 4242n,
      replicating: false,
    });
  });

  it('reads a linked replica at the offset it has applied, not the one it has only received', () => {
    const info = lines({ role: 'slave', master_link_status: 'up', slave_read_repl_offset: 900, slave_repl_offset: 870, master_repl_offset: 870 });
    expect(positionOf(info)).toEqual({ offset: 870n, replicating: true });
  });

  it('says a replica cut off from its primary is not replicating', () => {
    expect(positionOf(lines({ role: 'slave', master_link_status: 'down', slave_repl_offset: 12 })).replicating).toBe(false);
  });

  it('keeps offsets beyond 2^53 exact', () => {
    expect(positionOf(lines({ role: 'master', master_repl_offset: '9007199254740993' })).offset).toBe(9007199254740993n);
  });
});
