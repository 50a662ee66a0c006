/**
 * A request path as a route template, for span names and attributes: the OpenTelemetry HTTP
 * conventions want a low-cardinality `url.template`, and a path with record ids, emails or tokens
 * in it must never reach a tracing backend. The query is dropped whole (search terms, cursors).
 *
 * A segment that is a number, holds two digits or more, an `@`, a percent-escape, or more than 24
 * characters is an identifier (`{id}`), keeping a `.json`-style extension; a name with one digit
 * (`oauth2`) and API versions (`v2`, `v60.0`, `v9.2`) stay; OData keys in parentheses
 * (`incidents(…)`) become `({id})`.
 */
export function routeTemplate(path: string): string {
  let pathname = path;
  if (/^[a-z][a-z0-9+.-]*:/i.test(path)) {
    pathname = URL.canParse(path) ? new URL(path).pathname : '/';
  }
  const withoutQuery = pathname.split(/[?#]/, 1)[0] ?? '';
  return withoutQuery
    .split('/')
    .map((segment) => templateSegment(segment))
    .join('/');
}

const apiVersion = /^v\d+(\.\d+)*$/i;
const identifierLike = /^\d+$|\d.*\d|[@%]/;
const extension = /^(.*?)(\.(json|xml))$/i;
const longestName = 24;

function templateSegment(segment: string): string {
  if (segment === '' || apiVersion.test(segment)) return segment;
  const odata = /^([A-Za-z_][A-Za-z0-9_]*)\(.*\)$/.exec(segment);
  if (odata !== null) return `${odata[1]}({id})`;
  const [, stem, suffix] = extension.exec(segment) ?? [segment, segment, ''];
  const name = stem ?? segment;
  if (identifierLike.test(name) || name.length > longestName) return `{id}${suffix ?? ''}`;
  return segment;
}
