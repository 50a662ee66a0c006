import { exitCodes, run } from '@crm-connect/cli';
import { describe, expect, it } from 'vitest';
import { memoryIo } from './cli-io.js';

/** `crm-connect demo --trace`: the spans of one interaction per CRM, as a tree and in the JSON document. */

describe('crm-connect demo --trace', () => {
  it('prints the handle span of the first interaction and its HTTP attempts under it', async () => {
    const terminal = memoryIo();
    const code = await run(['demo', '--crm', 'zendesk', '--trace'], terminal.io);
    expect(code, terminal.err()).toBe(exitCodes.ok);
    const out = terminal.out();
    const tree = out.slice(out.indexOf('Trace of one interaction per CRM'));
    expect(tree).toContain('Zendesk — chat started, no agent yet (demo-zendesk-on-1)');
    expect(tree).toMatch(
      /^ {2}crm-connect\.handle {2}event chat\.started, decision default-user, outcome created, [\d.]+ ms$/m,
    );
    // The ticket's creation, one level deeper: a child of the handle span.
    expect(tree).toMatch(/^ {4}POST \/api\/v2\/tickets {2}status 201, resend 0, [\d.]+ ms$/m);
    // No email or credential: routes are templates.
    expect(tree).not.toContain('@');
  });

  it('with --json, the same tree under `trace`', async () => {
    const terminal = memoryIo();
    expect(await run(['demo', '--crm', 'zendesk', '--trace', '--json'], terminal.io)).toBe(exitCodes.ok);
    const document = JSON.parse(terminal.out());
    expect(document.trace).toEqual([
      expect.objectContaining({
        crm: 'zendesk',
        interactionId: 'demo-zendesk-on-1',
        handles: [
          expect.objectContaining({
            name: 'crm-connect.handle',
            eventType: 'chat.started',
            decisionReason: 'default-user',
            outcome: 'created',
            requests: expect.arrayContaining([
              expect.objectContaining({ name: 'POST /api/v2/tickets', statusCode: 201, resendCount: 0 }),
            ]),
          }),
        ],
      }),
    ]);
  });

  it('is refused with --redis', async () => {
    const terminal = memoryIo();
    expect(await run(['demo', '--redis', 'redis://127.0.0.1:6379', '--trace'], terminal.io)).toBe(
      exitCodes.usage,
    );
    expect(terminal.err()).toContain('--trace does not apply with --redis');
  });
});
