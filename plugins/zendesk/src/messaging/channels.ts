import type { Channel } from '@crm-connect/core';

/**
 * The core's channel for a Sunshine Conversations `source.type`. The spec calls the list open
 * ("api, sdk, messenger, or any number of other channels"), so an unknown value is kept as
 * `messaging`, what Zendesk's own widget and SDKs are, rather than refused.
 * - `messaging`: Zendesk's Web Widget and mobile SDKs (web, ios, android, unity, sdk) and API-made conversations;
 * - `sms`: SMS through Twilio or MessageBird, and RCS (googlercs), carried by phone operators;
 * - `social`: messaging apps and social networks (WhatsApp, Messenger, Instagram, X, Telegram,
 *   LINE, Viber, WeChat, KakaoTalk, Apple Messages for Business, Google Business Messages, Slack Connect);
 * - `email`: Mailgun.
 */
const channelBySource: Readonly<Record<string, Channel>> = {
  web: 'messaging',
  ios: 'messaging',
  android: 'messaging',
  unity: 'messaging',
  sdk: 'messaging',
  api: 'messaging',
  twilio: 'sms',
  messagebird: 'sms',
  googlercs: 'sms',
  whatsapp: 'social',
  messenger: 'social',
  instagram: 'social',
  twitter: 'social',
  telegram: 'social',
  line: 'social',
  viber: 'social',
  wechat: 'social',
  kakao: 'social',
  apple: 'social',
  gbm: 'social',
  slackconnect: 'social',
  mailgun: 'email',
};

export function channelForSource(sourceType: string | undefined): Channel {
  if (sourceType === undefined) return 'messaging';
  // `api:conversations` (a message posted through the API) is the `api` channel.
  const [base = ''] = sourceType.toLowerCase().split(':');
  return Object.hasOwn(channelBySource, base) ? (channelBySource[base] as Channel) : 'messaging';
}
