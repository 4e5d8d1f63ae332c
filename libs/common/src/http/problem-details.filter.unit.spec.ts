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
});
