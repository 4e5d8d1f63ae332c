import { conflict, ruleViolation, validationError } from '@reprise/domain/shared/errors';
import { WrongExpectedVersionError } from '@reprise/event-store/event-store.port';
import { ProblemDetailsFilter } from './problem-details.filter';

describe('problem details mapping (one place for every error)', () => {
  it('maps domain error kinds to their status and passes extra details through', () => {
    expect(
      ProblemDetailsFilter.toProblem(
        ruleViolation('dependency-cycle', 'a cycle', { cycle: ['a', 'b', 'a'] }),
      ),
    ).toMatchObject({
      status: 422,
      code: 'dependency-cycle',
      cycle: ['a', 'b', 'a'],
    });
    expect(
      ProblemDetailsFilter.toProblem(validationError('invalid', 'bad', [{ field: 'x', message: 'no' }])),
    ).toMatchObject({
      status: 400,
      errors: [{ field: 'x', message: 'no' }],
    });
  });

  it('never lets a detail replace a standard member such as status', () => {
    const problem = ProblemDetailsFilter.toProblem(
      conflict('wrong-status', 'cannot close', { status: 'running', type: 'x', attemptsLeft: 2 }),
    );
    expect(problem.status).toBe(409);
    expect(problem.type).toBe('https://reprise.dev/problems/wrong-status');
    expect(problem.attemptsLeft).toBe(2);
  });

  it('answers a concurrency conflict with 409', () => {
    expect(ProblemDetailsFilter.toProblem(new WrongExpectedVersionError('s', 3, 4))).toMatchObject({
      status: 409,
      code: 'version-conflict',
    });
  });

  it('answers anything unexpected with a generic 500 that leaks nothing', () => {
    expect(ProblemDetailsFilter.toProblem(new Error('secret internals'))).toEqual({
      type: 'https://reprise.dev/problems/internal',
      title: 'Internal Server Error',
      status: 500,
      code: 'internal',
      detail: 'an unexpected error occurred',
    });
  });

  describe('failures to read a request body (before Nest) answer problem+json, never 500', () => {
    /** Runs the express error middleware on `error` and returns what it answered. */
    function answer(error: unknown, headers: Record<string, string> = {}) {
      const sent: { status?: number; type?: string; body?: Record<string, unknown> } = {};
      const response = {
        status(code: number) {
          sent.status = code;
          return response;
        },
        type(value: string) {
          sent.type = value;
          return response;
        },
        json(body: Record<string, unknown>) {
          sent.body = body;
          return response;
        },
      };
      ProblemDetailsFilter.requestBodyErrors()(
        error,
        { headers, originalUrl: '/api/v1/servers' } as never,
        response as never,
        () => undefined,
      );
      return sent;
    }
    const zlibError = Object.assign(new Error('incorrect header check'), {
      code: 'Z_DATA_ERROR',
      status: 400,
    });

    it.each([
      ['a body that is not the gzip it claims', zlibError, { 'content-encoding': 'gzip' }, 400, 'body'],
      [
        'an unreadable body',
        Object.assign(new Error('aborted'), { type: 'request.aborted' }),
        {},
        400,
        'body',
      ],
      ['malformed JSON', { type: 'entity.parse.failed', status: 400 }, {}, 400, 'body'],
      ['too large', { type: 'entity.too.large', status: 413 }, {}, 413, 'body'],
      [
        'an unknown charset',
        { type: 'charset.unsupported', status: 415, charset: 'x' },
        {},
        415,
        'Content-Type',
      ],
      [
        'an unknown encoding',
        { type: 'encoding.unsupported', status: 415 },
        { 'content-encoding': 'x' },
        415,
        'Content-Encoding',
      ],
      ['a wrong length', { type: 'request.size.invalid', status: 400 }, {}, 400, 'Content-Length'],
      ['anything else', new Error('boom'), {}, 400, 'body'],
    ])('%s → %s naming the field', (_label, error, headers, status, field) => {
      const sent = answer(error, headers as Record<string, string>);
      expect(sent.status).toBe(status);
      expect(sent.type).toBe('application/problem+json');
      expect(sent.body).toMatchObject({ status, errors: [expect.objectContaining({ field })] });
    });
  });
});
