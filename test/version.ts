import t from 'tap';
import { VERSION } from '../src/version.js';
t.test('VERSION is semver', async (t) => { t.match(VERSION, /^\d+\.\d+\.\d+$/); });
