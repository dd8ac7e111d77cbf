import { describe, expect, it } from 'vitest';
import { CliUsageError, parseCliArgs } from './cli-options.js';

const issues = (argv: string[]) => {
  try {
    parseCliArgs(argv);
  } catch (err) {
    if (err instanceof CliUsageError) return err.message;
    throw err;
  }
  throw new Error('expected a usage error');
};

describe('parseCliArgs', () => {
  it('parses every option', () => {
    expect(
      parseCliArgs([
        'load',
        '--devices',
        '200',
        '--rate',
        '10',
        '--duration',
        '10',
        '--qos',
        '0',
        '--broker',
        'mqtt://localhost:1884',
        '--seed',
        '9',
        '--channels',
        '1',
        '--topic-prefix',
        'bench/',
        '--speed',
        'max',
        '--connections',
        '8',
        '--window',
        '500',
        '--no-status',
        '--json',
        '--load-site',
      ]),
    ).toEqual({
      scenario: 'load',
      devices: 200,
      rate: 10,
      duration: 10,
      qos: 0,
      broker: 'mqtt://localhost:1884',
      seed: 9,
      channels: 1,
      topicPrefix: 'bench/',
      speed: 'max',
      connections: 8,
      window: 500,
      status: false,
      json: true,
      loadSite: true,
    });
  });

  it('keeps defaults minimal', () => {
    expect(parseCliArgs(['plant', '--speed', '2.5', '--site', 'x.yaml'])).toMatchObject({
      scenario: 'plant',
      speed: 2.5,
      site: 'x.yaml',
      status: true,
      loadSite: false,
    });
    expect(parseCliArgs(['--help'])).toBe('help');
  });

  it.each([
    [['nope'], /scenario/],
    [[], /name a scenario/],
    [['plant', 'load'], /one scenario only/],
    [['load', '--devices', '0'], /--devices/],
    [['load', '--devices', 'ten'], /--devices: must be a whole number/],
    [['load', '--rate', '0'], /--rate: must be above 0/],
    [['load', '--qos', '2'], /--qos/],
    [['load', '--speed', 'fast'], /--speed/],
    [['load', '--broker', 'http://x'], /--broker/],
    [['load', '--topic-prefix', 'a/b'], /--topic-prefix/],
    [['load', '--frobnicate'], /frobnicate/],
    [['load', '--devices'], /devices/],
  ])('rejects %j', (argv, message) => {
    expect(issues(argv)).toMatch(message);
  });
});
