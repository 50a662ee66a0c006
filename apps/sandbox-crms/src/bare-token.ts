import { z } from 'zod';

const tokenAnswerSchema = z.object({ access_token: z.string() });

/**
 * A bare client's token request, made once before any measurement: a plain form POST to the
 * sandbox's token endpoint, not the plugin's token handling. Resolves to the access token.
 */
export async function requestAccessToken(url: string, form: Record<string, string>): Promise<string> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  if (!response.ok) throw new Error(`The token endpoint ${url} answered HTTP ${response.status}`);
  return tokenAnswerSchema.parse(await response.json()).access_token;
}
