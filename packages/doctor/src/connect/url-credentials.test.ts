import { describe, expect, it } from 'vitest';
import { DoctorError } from './doctor-error.js';
import { splitCredentials } from './url-credentials.js';

describe('splitCredentials', () => {
  it('moves user and password into a Basic authorization, decoded', () => {
    expect(splitCredentials('https://alice:s3cret%2Fpw@hooks.example.com/a?b=1', 'bad')).toEqual({
      bare: 'https://hooks.example.com/a?b=1',
      authorization: `Basic ${Buffer.from('alice:s3cret/pw').toString('base64')}`,
      secret: 's3cret/pw',
    });
  });

  it('leaves a URL without credentials as it is', () => {
    expect(splitCredentials('http://127.0.0.1:9093/hook', 'bad')).toEqual({ bare: 'http://127.0.0.1:9093/hook' });
  });

  it('refuses what is not http(s) with the caller\'s message, which never quotes the URL', () => {
    for (const url of ['ftp://u:pw@host/x', 'not a url :pw@']) {
      const error = (() => {
        try {
          splitCredentials(url, '--webhook takes an http(s) URL');
        } catch (e) {
          return e as DoctorError;
        }
      })();
      expect(error).toBeInstanceOf(DoctorError);
      expect(error).toMatchObject({ code: 'usage', message: '--webhook takes an http(s) URL' });
    }
  });
});
