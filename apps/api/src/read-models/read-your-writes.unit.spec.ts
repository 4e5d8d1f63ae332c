import { RequestProblem } from '@reprise/common/http/problem-details.filter';
import { MIN_POSITION_HEADER, minPositionOf, ReadPositions } from './read-your-writes';

describe('read your writes', () => {
  it('reads Reprise-Min-Position as one position, refusing anything else by name', () => {
    expect(minPositionOf(undefined)).toBeNull();
    expect(minPositionOf('0')).toBe(0);
    expect(minPositionOf(' 1234 ')).toBe(1234);
    for (const bad of ['soon', '-1', '1.5', '', '1,2', ['3', '4'], '9'.repeat(16)]) {
      let thrown: unknown = null;
      try {
        minPositionOf(bad);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(RequestProblem);
      expect((thrown as RequestProblem).getStatus()).toBe(400);
      expect((thrown as RequestProblem).errors).toEqual([
        expect.objectContaining({ field: MIN_POSITION_HEADER }),
      ]);
    }
  });

  it('names the read models that did not reach the position in time', async () => {
    const positions = new ReadPositions();
    let applied = 10;
    const waitUntilApplied = async (position: number, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (applied < position) {
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 5));
      }
      return true;
    };
    positions.register('projections', waitUntilApplied);
    positions.register('activation-views', async () => true);
    expect(await positions.behind(10, 50)).toEqual([]);
    expect(await positions.behind(11, 50)).toEqual(['projections']);
    setTimeout(() => (applied = 12), 20);
    expect(await positions.behind(12, 1000)).toEqual([]);
  });
});
