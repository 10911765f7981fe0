import t from 'tap';
import { buildSdkHeader, SDK_HEADER_ENTRY } from '../../src/http/sdk-header.js';
import { VERSION } from '../../src/version.js';

t.test('buildSdkHeader() names this SDK and its version', async (t) => {
  t.equal(SDK_HEADER_ENTRY, `prefactor-trace@${VERSION}`);
  t.equal(buildSdkHeader(), SDK_HEADER_ENTRY);
  t.equal(buildSdkHeader('  '), SDK_HEADER_ENTRY);
});

t.test('buildSdkHeader() puts an upstream entry in front, separated by a space', async (t) => {
  t.equal(buildSdkHeader('my-adapter@1.2.0'), `my-adapter@1.2.0 prefactor-trace@${VERSION}`);
});
