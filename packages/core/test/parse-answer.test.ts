import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { hasErrorCode } from '../src/errors.js';
import { createAnswerParser } from '../src/parse-answer.js';

const ticketSchema = z.object({ ticket: z.object({ id: z.number() }) });
const parseAnswer = createAnswerParser({ pluginId: 'acme', hint: 'Check the base URL.' });

describe('createAnswerParser', () => {
  it('gives back what the schema reads', () => {
    expect(
      parseAnswer(ticketSchema, { data: { ticket: { id: 7, extra: true } } }, 'create the ticket'),
    ).toEqual({
      ticket: { id: 7 },
    });
  });

  it('turns another shape into an InvalidResponseError naming the paths, never the values', () => {
    const answer = { data: { ticket: { id: 'secret-value' } }, status: 200, requestId: 'req-9' };
    let thrown: unknown;
    try {
      parseAnswer(ticketSchema, answer, 'create the ticket');
    } catch (error) {
      thrown = error;
    }
    expect(hasErrorCode(thrown, 'invalid_response')).toBe(true);
    expect(thrown).toMatchObject({ pluginId: 'acme', status: 200, requestId: 'req-9', retryable: false });
    const message = thrown instanceof Error ? thrown.message : '';
    expect(message).toContain('"create the ticket" with HTTP 200');
    expect(message).toContain('ticket.id');
    expect(message).toContain('Check the base URL.');
    expect(message).not.toContain('secret-value');
  });
});
