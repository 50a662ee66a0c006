import type { CrmId } from '@crm-connect/sandbox-crms';
import type { MeasuredEvent } from './bench-events.js';

/**
 * The fewest HTTP calls each CRM's API allows for each event, with warm caches (the connection
 * user, tokens and agents known) and the customer already in the CRM, and why. The calls figure
 * prints the measured count next to these.
 */
export interface MinimumCalls {
  calls: Record<MeasuredEvent, number>;
  why: string;
}

export const minimumCalls: Record<CrmId, MinimumCalls> = {
  zendesk: {
    calls: {
      'chat before agent': 1,
      voicemail: 2,
      'abandoned call': 2,
      'agent assigned': 1,
      'interaction ended': 1,
    },
    why: 'A new ticket with an inline requester is 1 call, but Zendesk matches an inline requester by email only: a caller known by phone alone is looked up first (user search), then the ticket names them (2). Reassigning and adding an internal note are one ticket update each.',
  },
  salesforce: {
    calls: {
      'chat before agent': 1,
      voicemail: 1,
      'abandoned call': 1,
      'agent assigned': 1,
      'interaction ended': 1,
    },
    why: 'One composite request creates the Contact (or meets the existing one by its external-id key), upserts the Case by interaction id and reads it back; an owner change is one PATCH, a note one CaseComment.',
  },
  dynamics: {
    calls: {
      'chat before agent': 2,
      voicemail: 2,
      'abandoned call': 2,
      'agent assigned': 1,
      'interaction ended': 1,
    },
    why: 'The stock Dataverse schema has no alternate key on contact, so a known customer must be found by a query before the case can bind it (a deep insert would create a second contact): query, then the case create (2). One call would need an alternate key on the contact table, a customization the plugin does not ask for. An assignment is one PATCH, a note one annotation.',
  },
  kustomer: {
    calls: {
      'chat before agent': 4,
      voicemail: 4,
      'abandoned call': 4,
      'agent assigned': 1,
      'interaction ended': 1,
    },
    why: 'Kustomer has no idempotency key and no upsert of conversations, and a conversation holds no first message: the conversation is looked up by external id before it is created (duplicate prevention), the customer by email or phone, then the conversation and its first note are two creates (4). An assignment is one PATCH, a note one create.',
  },
};
