import { describe, expect, it } from 'vitest';
import {
  AuthorizationError,
  CrmRejectedInputError,
  hasErrorCode,
  OwnerRejectedError,
} from '../src/errors.js';
import { asOwnerRejected } from '../src/owner-rejection.js';

const refused = () =>
  new OwnerRejectedError('The CRM refused the owner.', {
    pluginId: 'acme',
    ownerId: 'unknown',
    status: 400,
    requestId: 'req-1',
    attempts: 2,
  });

describe('asOwnerRejected', () => {
  it('names the owner the write sent, keeping status, request id and attempts', () => {
    const error = asOwnerRejected(refused(), 'user-7');
    expect(hasErrorCode(error, 'owner_rejected') && error.ownerId).toBe('user-7');
    expect(error).toMatchObject({
      pluginId: 'acme',
      status: 400,
      requestId: 'req-1',
      attempts: 2,
      message: 'The CRM refused the owner.',
    });
  });

  it('keeps an owner refusal that already names that owner', () => {
    const original = asOwnerRejected(refused(), 'user-7');
    expect(asOwnerRejected(original, 'user-7')).toBe(original);
  });

  it('turns an error that concerns the owner into an owner refusal, with its own message', () => {
    const invalid = new CrmRejectedInputError('Assignee is not an agent', {
      pluginId: 'acme',
      issues: [{ path: 'ticket.assignee_id', message: 'is not an agent' }],
    });
    const error = asOwnerRejected(invalid, 'user-7', {
      concernsOwner: (candidate) => hasErrorCode(candidate, 'crm_rejected_input'),
      message: (candidate) => `Refused user 7 (${candidate.message}).`,
    });
    expect(error).toBeInstanceOf(OwnerRejectedError);
    expect(error).toMatchObject({ message: 'Refused user 7 (Assignee is not an agent).', cause: invalid });
  });

  it('leaves every other error as it is', () => {
    const denied = new AuthorizationError('no permission', { pluginId: 'acme' });
    expect(asOwnerRejected(denied, 'user-7')).toBe(denied);
    const plain = new Error('socket hang up');
    expect(asOwnerRejected(plain, 'user-7')).toBe(plain);
  });
});
