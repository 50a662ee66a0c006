/**
 * Run by ../planted-bugs.test.ts in a child vitest (never by the workspace run: the name does not
 * end in .test.ts). Each describe is one copy of the example plugin under the whole suite.
 */
import { testPlugin } from '@crm-connect/testkit';
import { helpdeskPlugin } from '@crm-connect/testkit/example';
import { describe } from 'vitest';
import * as planted from './planted-plugins.js';

const copies = {
  correct: helpdeskPlugin,
  createKeyNeverSent: planted.createKeyNeverSent,
  createKeyNotHonoured: planted.createKeyNotHonoured,
  createMarkedIdempotent: planted.createMarkedIdempotent,
  noteMarkedIdempotent: planted.noteMarkedIdempotent,
  logsSecret: planted.logsSecret,
  printsSecret: planted.printsSecret,
  writesSecretToStderr: planted.writesSecretToStderr,
  noteWrittenPublic: planted.noteWrittenPublic,
  descriptionDropped: planted.descriptionDropped,
  externalIdDropped: planted.externalIdDropped,
  ownerChangeWrongMethod: planted.ownerChangeWrongMethod,
};

for (const [name, plugin] of Object.entries(copies)) {
  describe(name, () => {
    testPlugin(planted.plantedFixture(plugin));
  });
}
