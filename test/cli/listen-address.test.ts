import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/cli/flags.js';

describe('parseListenAddress', () => {
  it.each([
    [':10398', { port: 10398 }],
    ['127.0.0.1:9000', { host: '127.0.0.1', port: 9000 }],
    ['0.0.0.0:9000', { host: '0.0.0.0', port: 9000 }],
    ['[::1]:9000', { host: '::1', port: 9000 }],
    ['[::]:9000', { host: '::', port: 9000 }],
    ['localhost:9000', { host: 'localhost', port: 9000 }],
    ['exporter-01.example.local:65535', { host: 'exporter-01.example.local', port: 65535 }],
    [':0', { port: 0 }],
  ])('%s', (address, expected) => {
    expect(parseListenAddress(address)).toStrictEqual(expected);
  });

  it.each([
    ['10398', /is not \[HOST\]:PORT/],
    ['', /is not \[HOST\]:PORT/],
    [':', /port must be a number from 0 to 65535/],
    [':65536', /port must be a number from 0 to 65535/],
    [':-1', /port must be a number from 0 to 65535/],
    [':http', /port must be a number from 0 to 65535/],
    [':1e3', /port must be a number from 0 to 65535/],
    ['::1:9000', /IPv6 host goes in brackets/],
    ['[::1]', /is not \[HOST\]:PORT/],
    ['[127.0.0.1]:9000', /is not an IPv6 address/],
    ['[]:9000', /is not an IPv6 address/],
    ['bad_host:9000', /is not a host name or IP address/],
    ['-lead.example:9000', /is not a host name or IP address/],
  ])('refuses %j', (address, message) => {
    expect(() => parseListenAddress(address)).toThrow(message);
  });
});
