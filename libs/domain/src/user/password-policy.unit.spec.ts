import { PASSWORD_MAX_LENGTH, passwordProblem } from './password-policy';

const claire = { email: 'claire.martin@acme.example', name: 'Claire Martin' };

describe('password policy (NIST SP 800-63B)', () => {
  it.each([
    'correct pony battery stapler',
    'Tr0ub4dor&3-plus-more',
    'mañana será otro día',
    'x7#Kq!9vLm2$',
    'été à Lyon, sous la pluie',
    '四月の雨が静かに降っています',
    'a'.repeat(10) + 'bcdefgh',
  ])('accepts %p (length counts, no composition rule)', (password) => {
    expect(passwordProblem(password, claire)).toBeNull();
  });

  it('counts characters, not bytes, and bounds the length', () => {
    expect(passwordProblem('short pass', claire)).toBe('must be at least 12 characters');
    expect(passwordProblem('éééééééééé1', claire)).toBe('must be at least 12 characters');
    expect(passwordProblem('zq'.repeat(PASSWORD_MAX_LENGTH / 2) + 'y', claire)).toBe(
      `must be at most ${PASSWORD_MAX_LENGTH} characters`,
    );
    expect(passwordProblem(12345678901234 as unknown as string, claire)).toBe('must be a string');
  });

  it.each([
    ['123456789012', 'is a common password'],
    ['Password1234', 'is a common password'],
    ['qwertyuiopas', 'is a common password'],
    ['Correct Horse Battery Staple', 'is a common password'],
    ['Password2024!!', 'is a common word decorated with digits or symbols'],
    ['!!Welcome2026!!', 'is a common word decorated with digits or symbols'],
    ['aaaaaaaaaaaaaaa', 'is too repetitive (fewer than 5 different characters)'],
    ['abababababababab', 'is too repetitive (fewer than 5 different characters)'],
    ['abcdefghijklmn', 'is a sequence'],
    ['987654321098765', 'is a sequence'],
    ['tulip7tulip7tulip7', 'is too repetitive (a short pattern repeated)'],
    ['claire.martin@acme.example', 'must not contain your e-mail address'],
    ['my name is claire.martin!', 'must not contain your e-mail address'],
    ['Martin of the mountains', 'must not contain your name or e-mail'],
    ['I love using Reprise daily', 'must not contain the product name'],
  ])('refuses %p: %s', (password, problem) => {
    expect(passwordProblem(password, claire)).toBe(problem);
  });

  it('generated passphrases of four words pass; any single repeated character fails', () => {
    const words = ['amber', 'river', 'cobalt', 'lantern', 'meadow', 'quartz', 'willow', 'harbor', 'ember'];
    for (let i = 0; i < 200; i++) {
      const pick = () => words[(i * 7 + words.length * Math.floor(i / 3)) % words.length];
      const phrase = [pick(), words[(i + 1) % words.length], words[(i + 4) % words.length], String(i)].join(
        ' ',
      );
      expect([phrase, passwordProblem(phrase, claire)]).toEqual([phrase, null]);
      const c = String.fromCharCode(33 + (i % 90));
      const repeated = c.repeat(12 + (i % 50));
      expect(passwordProblem(repeated, claire)).not.toBeNull();
    }
  });
});
