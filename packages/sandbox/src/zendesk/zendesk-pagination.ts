import type { SandboxRequest } from '../http-exchange.js';

/**
 * Zendesk's two pagination styles, for list endpoints that offer both (users, ticket audits…):
 * offset pagination (`page`, `per_page`; `next_page` / `previous_page` URLs and `count`) and
 * cursor pagination (`page[size]`, `page[after]`; `meta.has_more`, `meta.after_cursor`,
 * `links.next`). At most 100 records a page.
 * https://developer.zendesk.com/api-reference/introduction/pagination/
 */

const maxPageSize = 100;

function pageSize(value: string | null, fallback: number): number {
  const size = Number(value ?? fallback);
  return Number.isInteger(size) && size > 0 ? Math.min(size, maxPageSize) : fallback;
}

/** True when the request asks for cursor pagination. */
export function wantsCursor(request: SandboxRequest): boolean {
  return request.query.has('page[size]') || request.query.has('page[after]');
}

/** Offset pagination: `page` and `per_page`, answered with `next_page` / `previous_page` URLs and `count`. */
export function offsetPage<T>(request: SandboxRequest, items: readonly T[]) {
  const perPage = pageSize(request.query.get('per_page'), maxPageSize);
  const page = Math.max(1, Number.parseInt(request.query.get('page') ?? '1', 10) || 1);
  const start = (page - 1) * perPage;
  const link = (target: number) => {
    const query = new URLSearchParams(request.query);
    query.set('page', String(target));
    query.set('per_page', String(perPage));
    return `${request.origin}${request.path}?${query.toString()}`;
  };
  return {
    items: items.slice(start, start + perPage),
    next_page: start + perPage < items.length ? link(page + 1) : null,
    previous_page: page > 1 ? link(page - 1) : null,
    count: items.length,
  };
}

const encodeCursor = (id: number) => Buffer.from(String(id)).toString('base64url');

/** Cursor pagination over records in id order (`page[size]`, `page[after]`): the cursor is the last id served, encoded. */
export function cursorPage<T extends { id: number }>(request: SandboxRequest, items: readonly T[]) {
  const size = pageSize(request.query.get('page[size]'), maxPageSize);
  const after = request.query.get('page[after]');
  const afterId = after === null ? undefined : Number(Buffer.from(after, 'base64url').toString('utf8'));
  const remaining = items.filter((item) => afterId === undefined || item.id > afterId);
  const page = remaining.slice(0, size);
  const hasMore = remaining.length > page.length;
  const last = page.at(-1);
  const afterCursor = last === undefined ? null : encodeCursor(last.id);
  const first = page[0];
  const beforeCursor = first === undefined ? null : encodeCursor(first.id);
  const next = new URLSearchParams(request.query);
  if (afterCursor !== null) next.set('page[after]', afterCursor);
  return {
    items: page,
    meta: { has_more: hasMore, after_cursor: afterCursor, before_cursor: beforeCursor },
    links: { next: hasMore ? `${request.origin}${request.path}?${next.toString()}` : null, prev: null },
  };
}
