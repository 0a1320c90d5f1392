// The constant-time bearer check (src/api/auth.ts): exactly the configured
// tokens pass, whatever the presented token's length; nothing else does.
import { bearerCheck } from '../../src/api/auth';

test('only an exact token passes: not a prefix, an extension, another case, a padded one or another scheme', () => {
  const valid = bearerCheck(['app-token-0123456789', 'operator-token-0123456789']);
  expect(valid('Bearer app-token-0123456789')).toBe(true);
  expect(valid('bearer   operator-token-0123456789')).toBe(true);
  for (const header of [
    undefined,
    '',
    'Bearer',
    'Bearer app-token-012345678',
    'Bearer app-token-01234567890',
    'Bearer APP-TOKEN-0123456789',
    'Bearer app-token-0123456789 extra',
    'Basic app-token-0123456789',
    'Bearer app-token-012345678\u00e9',
    'Bearer operator-token-0123456789app',
  ]) {
    expect(valid(header)).toBe(false);
  }
});
