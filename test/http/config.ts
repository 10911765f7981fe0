import t from 'tap';
import { HTTP_CLIENT_CONFIG_KEYS, resolveHttpClientConfig, type HttpClientConfig } from '../../src/http/config.js';
import { PrefactorConfigError } from '../../src/util/option-checks.js';

const base = { apiUrl: 'http://127.0.0.1:1', apiToken: 'secret-token' };
const noEnv = {};

t.test('resolveHttpClientConfig() fills every default', async (t) => {
  t.same(resolveHttpClientConfig(base, noEnv), {
    apiUrl: 'http://127.0.0.1:1',
    apiToken: 'secret-token',
    requestTimeoutMs: 30_000,
    connectTimeoutMs: 10_000,
    maxRetries: 3,
    initialRetryDelayMs: 1000,
    maxRetryDelayMs: 60_000,
    retryMultiplier: 2,
    retryOnStatusCodes: [429, 500, 502, 503, 504],
    defaultIdempotencyKey: undefined,
    sdkHeader: undefined,
  });
});

t.test('resolveHttpClientConfig() keeps given values and trims the URL', async (t) => {
  const resolved = resolveHttpClientConfig(
    {
      ...base,
      apiUrl: 'https://api.example.com/prefix/',
      requestTimeoutMs: 200,
      connectTimeoutMs: 50,
      maxRetries: 0,
      initialRetryDelayMs: 0,
      maxRetryDelayMs: 0,
      retryMultiplier: 1,
      retryOnStatusCodes: [503],
      defaultIdempotencyKey: 'svc',
      sdkHeader: 'my-adapter@1.2.0',
    },
    noEnv,
  );
  t.equal(resolved.apiUrl, 'https://api.example.com/prefix');
  t.same(resolved.retryOnStatusCodes, [503]);
  t.equal(resolved.maxRetries, 0);
  t.equal(resolved.defaultIdempotencyKey, 'svc');
  t.equal(resolved.sdkHeader, 'my-adapter@1.2.0');
});

t.test('resolveHttpClientConfig() falls back to PREFACTOR_API_URL and PREFACTOR_API_TOKEN', async (t) => {
  const env = { PREFACTOR_API_URL: 'http://env.example:8080', PREFACTOR_API_TOKEN: 'env-token' };
  const resolved = resolveHttpClientConfig({}, env);
  t.equal(resolved.apiUrl, 'http://env.example:8080');
  t.equal(resolved.apiToken, 'env-token');
  t.equal(resolveHttpClientConfig(base, env).apiToken, 'secret-token', 'options win over the environment');
  t.equal(resolveHttpClientConfig(undefined, env).apiUrl, 'http://env.example:8080');
});

t.test('resolveHttpClientConfig() reads process.env by default', async (t) => {
  const saved = { url: process.env.PREFACTOR_API_URL, token: process.env.PREFACTOR_API_TOKEN };
  t.teardown(() => {
    if (saved.url === undefined) delete process.env.PREFACTOR_API_URL;
    else process.env.PREFACTOR_API_URL = saved.url;
    if (saved.token === undefined) delete process.env.PREFACTOR_API_TOKEN;
    else process.env.PREFACTOR_API_TOKEN = saved.token;
  });
  process.env.PREFACTOR_API_URL = 'http://from-process.example';
  process.env.PREFACTOR_API_TOKEN = 'process-token';
  t.equal(resolveHttpClientConfig().apiUrl, 'http://from-process.example');
});

t.test('resolveHttpClientConfig() rejects bad values with a message naming the option and the value', async (t) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ requestTimeoutMs: 0 }, 'Expected `requestTimeoutMs` to be a positive number, got `0` (number)'],
    [{ requestTimeoutMs: '5' }, 'Expected `requestTimeoutMs` to be a positive number, got `"5"` (string)'],
    [{ connectTimeoutMs: -1 }, 'Expected `connectTimeoutMs` to be a positive number, got `-1` (number)'],
    [{ maxRetries: -1 }, 'Expected `maxRetries` to be a non-negative integer, got `-1` (number)'],
    [{ maxRetries: 1.5 }, 'Expected `maxRetries` to be a non-negative integer, got `1.5` (number)'],
    [{ initialRetryDelayMs: -5 }, 'Expected `initialRetryDelayMs` to be a non-negative number, got `-5` (number)'],
    [{ maxRetryDelayMs: -1 }, 'Expected `maxRetryDelayMs` to be a non-negative number, got `-1` (number)'],
    [
      { initialRetryDelayMs: 2000, maxRetryDelayMs: 1000 },
      'Expected `initialRetryDelayMs` to be at most `maxRetryDelayMs` (1000), got `2000` (number)',
    ],
    [{ retryMultiplier: 0.5 }, 'Expected `retryMultiplier` to be a number >= 1, got `0.5` (number)'],
    [{ retryMultiplier: 'x' }, 'Expected `retryMultiplier` to be a number >= 1, got `"x"` (string)'],
    [
      { retryOnStatusCodes: [500, 42] },
      'Expected `retryOnStatusCodes` to be an array of HTTP status codes (integers 100-599), got `[500,42]` (array)',
    ],
    [
      { retryOnStatusCodes: 503 },
      'Expected `retryOnStatusCodes` to be an array of HTTP status codes (integers 100-599), got `503` (number)',
    ],
    [
      { defaultIdempotencyKey: 'has space' },
      'Expected `defaultIdempotencyKey` to be a string of 1-42 printable characters without spaces, got `"has space"` (string)',
    ],
    [
      { defaultIdempotencyKey: 'p'.repeat(43) },
      'Expected `defaultIdempotencyKey` to be a string of 1-42 printable characters without spaces',
    ],
    [{ sdkHeader: 7 }, 'Expected `sdkHeader` to be a non-empty string of printable characters, such as "my-adapter@1.2.0", got `7` (number)'],
    [{ sdkHeader: 'a\nb' }, 'Expected `sdkHeader` to be a non-empty string of printable characters'],
    [{ apiUrl: 'ftp://example.com' }, 'Expected `apiUrl` to be an http:// or https:// URL, got `"ftp://example.com"` (string)'],
    [{ apiUrl: 'not a url' }, 'Expected `apiUrl` to be an http:// or https:// URL, got `"not a url"` (string)'],
  ];
  for (const [options, message] of cases) {
    t.throws(() => resolveHttpClientConfig({ ...base, ...options } as HttpClientConfig, noEnv), { name: 'PrefactorConfigError', message: message.includes(', got') ? message : new RegExp(`^${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`) }, JSON.stringify(options));
  }
});

t.test('resolveHttpClientConfig() names a missing url or token and where to set it', async (t) => {
  t.throws(() => resolveHttpClientConfig({ apiToken: 'x' }, noEnv), {
    message: 'Missing `apiUrl`: pass it to PrefactorHttpClient or set PREFACTOR_API_URL',
  });
  t.throws(() => resolveHttpClientConfig({ apiUrl: base.apiUrl }, noEnv), {
    message: 'Missing `apiToken`: pass it to PrefactorHttpClient or set PREFACTOR_API_TOKEN',
  });
});

t.test('resolveHttpClientConfig() never shows the token in its messages', async (t) => {
  const bad = 'secret with spaces';
  const error = t.throws(() => resolveHttpClientConfig({ ...base, apiToken: bad }, noEnv)) as Error;
  t.match(error.message, 'Expected `apiToken` to be a non-empty string of printable characters without spaces');
  t.notMatch(error.message, bad);
  t.throws(() => resolveHttpClientConfig({ ...base, apiToken: '' }, noEnv), { message: /^Expected `apiToken`/ });
  t.throws(() => resolveHttpClientConfig({ ...base, apiToken: 42 as unknown as string }, noEnv), {
    message: 'Expected `apiToken` to be a non-empty string, got a value of type number',
  });
  t.throws(() => resolveHttpClientConfig({ ...base, apiToken: null as unknown as string }, { PREFACTOR_API_TOKEN: undefined }), {
    message: /Missing `apiToken`/,
  });
  t.throws(() => resolveHttpClientConfig({ ...base, apiToken: {} as unknown as string }, noEnv), {
    message: 'Expected `apiToken` to be a non-empty string, got a value of type object',
  });
});

t.test('resolveHttpClientConfig() rejects unknown options and non-objects', async (t) => {
  t.throws(() => resolveHttpClientConfig({ ...base, timeout: 5 } as HttpClientConfig, noEnv), {
    name: 'PrefactorConfigError',
    message: /^Unknown option `timeout` for PrefactorHttpClient\. Known options: `apiUrl`, `apiToken`/,
  });
  t.throws(() => resolveHttpClientConfig('http://x' as HttpClientConfig, noEnv), PrefactorConfigError);
  t.equal(HTTP_CLIENT_CONFIG_KEYS.length, 11);
});
