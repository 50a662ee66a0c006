import { renderTable } from '@crm-connect/sandbox-crms';
import { describe, expect, it } from 'vitest';

describe('renderTable', () => {
  it('pads every column to its widest cell', () => {
    expect(
      renderTable(
        ['interaction', 'owner'],
        [
          ['chat', 'Alex Agent'],
          ['voicemail', '—'],
        ],
      ),
    ).toBe(
      [
        '| interaction | owner      |',
        '|-------------|------------|',
        '| chat        | Alex Agent |',
        '| voicemail   | —          |',
      ].join('\n'),
    );
  });

  it('right-aligns the columns it is told to, and marks them so in the rule', () => {
    expect(
      renderTable(
        ['CRM', 'lost'],
        [
          ['Zendesk', '0'],
          ['Kustomer', '12'],
        ],
        new Set([1]),
      ),
    ).toBe(
      ['| CRM      | lost |', '|----------|-----:|', '| Zendesk  |    0 |', '| Kustomer |   12 |'].join('\n'),
    );
  });
});
