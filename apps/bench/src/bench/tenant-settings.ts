/**
 * Settings of another tenant of the same CRM, made from the sandbox's: what names the account
 * (the CRM's address, Salesforce's org id) and every secret become the tenant's own, so each
 * tenant's connector has budgets, token sources and secrets of its own, as a platform's thousands
 * of customers do. The address is a loopback one on a port of the tenant's (`http://127.0.0.1:20042`
 * for tenant 42): valid wherever the sandbox's is, and never called, since creating and closing
 * a connector sends nothing.
 */
export function tenantSettings(
  settings: Record<string, unknown>,
  sandboxUrl: string,
  secretFields: readonly string[],
  tenant: number,
): Record<string, unknown> {
  const tag = tenant.toString(36).padStart(6, '0');
  const own = (value: string) => `${value.slice(0, Math.max(0, value.length - tag.length))}${tag}`;
  const renamed = new Map<string, string>();
  const address = new URL(sandboxUrl);
  address.port = String(20_000 + tenant);
  renamed.set(sandboxUrl, address.origin);
  for (const field of secretFields) {
    const value = settings[field];
    if (typeof value === 'string') renamed.set(value, own(value));
  }
  // Salesforce's budgets are per org (15 characters, 00D…); its linked admins name the org too.
  const { orgId } = settings;
  if (typeof orgId === 'string') renamed.set(orgId, `00D${tenant.toString(36).padStart(12, '0')}`);
  let text = JSON.stringify(settings);
  for (const [from, to] of renamed) text = text.split(from).join(to);
  return JSON.parse(text) as Record<string, unknown>;
}
