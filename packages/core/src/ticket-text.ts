import type { InteractionEnded, OpeningEvent } from './events.js';

/** The subject line of a new ticket: what happened and with whom. */
export function ticketSubject(event: OpeningEvent): string {
  if (event.type === 'chat.started' && event.subject !== undefined) return event.subject;
  const who =
    event.endUser.name ?? event.endUser.email ?? event.endUser.phone ?? event.endUser.externalId ?? 'unknown';
  const what =
    event.type === 'voicemail.received'
      ? 'Voicemail from'
      : event.type === 'call.abandoned'
        ? 'Abandoned call from'
        : `${channelNoun(event.channel)} with`;
  return `${what} ${who}`;
}

/** The first comment of a new ticket. */
export function ticketDescription(event: OpeningEvent): string {
  const lines = [`Interaction ${event.interactionId} (${event.channel}) at ${event.occurredAt}.`];
  if (event.type === 'chat.started' && event.firstMessage) lines.push('', event.firstMessage);
  if (event.type === 'voicemail.received') {
    if (event.durationSeconds !== undefined) lines.push(`Duration: ${event.durationSeconds} s.`);
    if (event.recordingUrl !== undefined) lines.push(`Recording: ${event.recordingUrl}`);
    if (event.transcription) lines.push('', event.transcription);
  }
  if (event.type === 'call.abandoned' && event.waitSeconds !== undefined) {
    lines.push(`The caller hung up after waiting ${event.waitSeconds} s.`);
  }
  return lines.join('\n');
}

/** The note written when an interaction ends; empty when there is nothing to write. */
export function endNote(event: InteractionEnded): string {
  const parts: string[] = [];
  if (event.disposition !== undefined) parts.push(`Disposition: ${event.disposition}`);
  if (event.notes) parts.push(`Notes:\n${event.notes}`);
  if (event.transcript) parts.push(`Transcript:\n${event.transcript}`);
  return parts.join('\n\n');
}

function channelNoun(channel: OpeningEvent['channel']): string {
  const nouns: Record<OpeningEvent['channel'], string> = {
    chat: 'Chat',
    messaging: 'Conversation',
    sms: 'SMS conversation',
    email: 'Email',
    voice: 'Call',
    social: 'Social conversation',
  };
  return nouns[channel];
}
