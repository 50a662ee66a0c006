import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createCapturedOutput } from '../../src/faults/captured-output.js';

const token = 'sbx-access-token/with+special=chars';

describe('fault matrix: secrets in captured output', () => {
  it('finds a secret as is, URL-encoded or base64, in log lines, audit events and errors', () => {
    const captured = createCapturedOutput();
    captured.logger.log('debug', 'crm request', { path: `/x?token=${encodeURIComponent(token)}` });
    captured.logger.log('info', 'clean line', { ok: true });
    captured.error(new Error('failed', { cause: { header: Buffer.from(token).toString('base64') } }));
    captured.audit({
      at: '2026-11-21T10:00:00Z',
      interactionId: 'i-1',
      eventType: 'chat.started',
      crm: 'zendesk',
      operation: 'create-ticket',
      reason: 'error',
      attempts: 1,
      outcome: 'failed',
      detail: `refused ${token}`,
    });
    expect(captured.size()).toBe(4);
    const leaks = captured.leaks([{ kind: 'access token', value: token }]);
    expect(leaks.pieces).toBe(3);
    expect([...leaks.kinds]).toEqual(['access token']);
  });

  it('reads an error the way a platform would print it, causes included', () => {
    const captured = createCapturedOutput();
    const error = new Error('outer', { cause: new Error(`inner ${token}`) });
    expect(inspect(error)).toContain(token);
    captured.error(error);
    expect(captured.leaks([{ kind: 'token', value: token }]).pieces).toBe(1);
    expect(captured.leaks([{ kind: 'other', value: 'not-in-any-line' }]).pieces).toBe(0);
  });
});
