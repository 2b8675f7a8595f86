import { errorMessage, toError } from '../../../lib/errors';

describe('errorMessage', () => {
  it('takes the message of an Error, including subclasses', () => {
    expect(errorMessage(new TypeError('bad type'))).toBe('bad type');
  });

  it('returns a thrown string unchanged', () => {
    expect(errorMessage('plain text')).toBe('plain text');
  });

  it('takes the message of an error-like object from another realm', () => {
    const foreign: unknown = { message: 'ENOENT: no such file', code: 'ENOENT' };
    expect(errorMessage(foreign)).toBe('ENOENT: no such file');
  });

  it('renders other values with String(), never as their fields', () => {
    expect(errorMessage(42)).toBe('42');
    expect(errorMessage(undefined)).toBe('undefined');
    expect(errorMessage(null)).toBe('null');
    expect(errorMessage({ token: 'secret' })).toBe('[object Object]');
    expect(errorMessage({ message: 7 })).toBe('[object Object]');
  });
});

describe('toError', () => {
  it('passes an Error through as the same object', () => {
    const err = new Error('x');
    expect(toError(err)).toBe(err);
  });

  it('wraps anything else in an Error carrying its message', () => {
    const err = toError('went wrong');
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('went wrong');
  });
});
