import { DomainError, ERROR_CODES, ValidationError, isErrorCode } from '../../src/domain/errors';
import { accessQueryDocumentSchema, accessQuerySchema, checkoutRequestSchema, emailSchema, trimmedText, workspaceIdSchema } from '../../src/domain/schemas';

describe('workspaceIdSchema', () => {
  it.each(['ws_1', 'a', 'A-b_c-9', 'x'.repeat(64)])('accepts %j', (id) => {
    expect(workspaceIdSchema.safeParse(id).success).toBe(true);
  });

  it.each(['', '_ws', '-ws', 'ws 1', 'ws/1', 'ws.1', 'x'.repeat(65), 'wś'])('rejects %j', (id) => {
    expect(workspaceIdSchema.safeParse(id).success).toBe(false);
  });
});

describe('checkoutRequestSchema', () => {
  const valid = { planId: 'plus', interval: 'year', successUrl: 'https://app.example.com/ok', cancelUrl: 'http://localhost:3000/cancel' };

  it('accepts a valid request, with or without email', () => {
    expect(checkoutRequestSchema.parse(valid)).toEqual(valid);
    expect(checkoutRequestSchema.parse({ ...valid, email: 'a@example.com' }).email).toBe('a@example.com');
  });

  it('lists every offending field', () => {
    const result = checkoutRequestSchema.safeParse({ planId: 'gold', interval: 'week', successUrl: 'ftp://x', cancelUrl: 'nope', email: 'x' });
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['cancelUrl', 'email', 'interval', 'planId', 'successUrl']);
  });

  it('rejects unknown fields (strict)', () => {
    expect(checkoutRequestSchema.safeParse({ ...valid, priceId: 'price_123' }).success).toBe(false);
  });

  it('rejects missing fields', () => {
    const { successUrl: _omit, ...rest } = valid;
    expect(checkoutRequestSchema.safeParse(rest).success).toBe(false);
  });
});

describe('errors', () => {
  it('codes are unique and recognised', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    for (const code of ERROR_CODES) expect(isErrorCode(code)).toBe(true);
    for (const bad of ['nope', '', null, 404]) expect(isErrorCode(bad)).toBe(false);
  });

  it('includes the codes the HTTP contract names', () => {
    for (const code of ['subscription_active', 'sales_assisted', 'not_purchasable', 'validation_failed', 'unauthorized', 'not_found']) {
      expect(ERROR_CODES).toContain(code);
    }
  });

  it('DomainError carries code, message and details', () => {
    const err = new DomainError('not_found', 'No such checkout.', { checkoutId: 'cs_1' });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('DomainError');
    expect(err.code).toBe('not_found');
    expect(err.message).toBe('No such checkout.');
    expect(err.details).toEqual({ checkoutId: 'cs_1' });
    expect(new DomainError('internal_error', 'x').details).toEqual({});
  });

  it('ValidationError is a validation_failed DomainError listing fields', () => {
    const fields = [{ path: 'planId', message: 'Invalid option' }];
    const err = new ValidationError(fields);
    expect(err).toBeInstanceOf(DomainError);
    expect(err.code).toBe('validation_failed');
    expect(err.fields).toEqual(fields);
    expect(err.details).toEqual({ errors: fields });
    expect(err.message).toBe('The request is invalid.');
  });
});

describe('rules the OpenAPI document states exactly (test/contract fuzzes them against the API)', () => {
  it('accessQueryDocumentSchema (the documented query) accepts exactly what accessQuerySchema (the validator) accepts', () => {
    const projectIds = [undefined, '', 'p', 'x'.repeat(128), 'x'.repeat(129)];
    const environments = [undefined, 'production', 'sandbox', 'staging', 'console', 'moon'];
    for (const projectId of projectIds) {
      for (const environment of environments) {
        const query = { ...(projectId !== undefined && { projectId }), ...(environment !== undefined && { environment }), other: '1' };
        expect({ query, documented: accessQueryDocumentSchema.safeParse(query).success }).toEqual({ query, documented: accessQuerySchema.safeParse(query).success });
      }
    }
    expect(accessQuerySchema.safeParse({ environment: 'production' }).success).toBe(false);
    expect(accessQuerySchema.safeParse({ environment: 'sandbox' }).success).toBe(true);
  });

  it('trimmedText: the pattern bounds the trimmed length, and the value is trimmed', () => {
    const reason = trimmedText(3, 10, 'reason');
    expect(reason.parse('  abc \n')).toBe('abc');
    expect(reason.parse('a b')).toBe('a b');
    for (const refused of ['', '   ', 'ab', ' ab ', '\u00a0ab\u00a0', 'abcdefghijk', ' abcdefghijk ']) expect(reason.safeParse(refused).success).toBe(false);
    expect(reason.parse('abcdefghij')).toBe('abcdefghij');
    const one = trimmedText(1, 3, 'one');
    expect(['a', ' a ', 'abc'].map((t) => one.safeParse(t).success)).toEqual([true, true, true]);
    expect(['', ' ', 'abcd'].map((t) => one.safeParse(t).success)).toEqual([false, false, false]);
  });

  it('a NUL character is refused wherever text may be stored, with a message that says so', () => {
    const reason = trimmedText(3, 10, 'reason');
    for (const refused of ['\u0000abc', 'abc\u0000', 'a\u0000c', ' ab\u0000 ']) {
      expect(reason.safeParse(refused).error?.issues.map((i) => i.message)).toEqual(['must not contain NUL characters']);
    }
    expect(reason.safeParse('ab').error?.issues.map((i) => i.message)).toEqual(['reason']);
    for (const schema of [accessQuerySchema, accessQueryDocumentSchema]) {
      expect(schema.safeParse({ projectId: 'p\u0000', environment: 'production' }).success).toBe(false);
      expect(schema.safeParse({ projectId: 'p1', environment: 'production' }).success).toBe(true);
    }
  });

  it('emailSchema is one pattern: what JSON Schema calls an email but the API does not take is refused by the pattern', () => {
    for (const ok of ['a@example.com', "o'brien+tag@mail.example.co", 'a.b_c-d@x-y.example']) expect(emailSchema.safeParse(ok).success).toBe(true);
    for (const refused of ['f%i@n2.7.info', '.a@example.com', 'a..b@example.com', 'a@example', 'a@-x.example.c0', '"quoted"@example.com']) {
      expect(emailSchema.safeParse(refused).success).toBe(false);
    }
  });
});
