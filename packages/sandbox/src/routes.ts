import type { HttpMethod, SandboxRequest, SandboxResponse } from './http-exchange.js';

/**
 * The route table of a sandbox. A route's path is a template whose `:name` parameters match up
 * to the next `/`, anywhere in a segment, so every CRM's URL style fits one syntax: Zendesk
 * `/api/v2/tickets/:id`, Kustomer `/v1/customers/email=:email`, Dataverse
 * `/api/data/v9.2/incidents(:id)`. Parameters are percent-decoded before the handler sees them.
 */

export interface RouteContext {
  /** The decoded path parameters. */
  params: Readonly<Record<string, string>>;
  /** Records whom the request was authenticated as (a user id), for the request log. */
  identify(principal: string): void;
}

export type RouteHandler = (
  request: SandboxRequest,
  context: RouteContext,
) => SandboxResponse | Promise<SandboxResponse>;

export interface Route {
  method: HttpMethod;
  /** A path template such as `/api/v2/tickets/:id`. */
  path: string;
  /** A stable name (`tickets.create`) that faults and the request log use to target this route. */
  name: string;
  handler: RouteHandler;
}

export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  /** The path exists, but not for this method. */
  | { kind: 'wrong-method'; allowed: readonly HttpMethod[] }
  | { kind: 'none' };

export interface RouteTable {
  readonly routes: readonly Route[];
  match(method: string, path: string): RouteMatch;
}

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
}

const parameter = /:([A-Za-z][A-Za-z0-9]*)/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function compile(template: string): RegExp {
  let source = '';
  let last = 0;
  for (const found of template.matchAll(parameter)) {
    source += `${escapeRegExp(template.slice(last, found.index))}(?<${found[1]}>[^/]+)`;
    last = found.index + found[0].length;
  }
  source += escapeRegExp(template.slice(last));
  return new RegExp(`^${source}$`);
}

function decodeParams(groups: Record<string, string> | undefined): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  try {
    for (const [name, value] of Object.entries(groups ?? {})) params[name] = decodeURIComponent(value);
  } catch {
    // A malformed escape (`%E0%A4%A`) names no resource.
    return undefined;
  }
  return params;
}

export function createRouteTable(routes: readonly Route[]): RouteTable {
  const seen = new Set<string>();
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    if (seen.has(key)) throw new Error(`Route ${key} is defined twice`);
    seen.add(key);
  }
  const compiled: CompiledRoute[] = routes.map((route) => ({ route, pattern: compile(route.path) }));

  return {
    routes,
    match(method, path) {
      const allowed: HttpMethod[] = [];
      for (const { route, pattern } of compiled) {
        const found = pattern.exec(path);
        if (found === null) continue;
        if (route.method !== method) {
          allowed.push(route.method);
          continue;
        }
        const params = decodeParams(found.groups);
        if (params === undefined) return { kind: 'none' };
        return { kind: 'found', route, params };
      }
      return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'none' };
    },
  };
}
