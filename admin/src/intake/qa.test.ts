import { describe, expect, it } from 'vitest';
import { intakeQA } from './qa';

describe('intakeQA', () => {
    it('reads the answers as the form’s questions, known ones first', () => {
        const qa = intakeQA({ zzz_custom: 'да', topics: ['сон', 'работа'], first_time: true, concern: 'Плохо сплю.\nДавно.', age: 34.5 });
        expect(qa.map(q => [q.code, q.question, q.answer])).toEqual([
            ['concern', 'Что вас беспокоит?', ['Плохо сплю.\nДавно.']],
            ['first_time', 'Вы впервые обращаетесь к психологу?', ['Да']],
            ['topics', 'Темы, которые вы хотели бы обсудить', ['сон', 'работа']],
            ['zzz_custom', 'zzz_custom', ['да']],
            ['age', 'age', ['34,5']],
        ]);
        expect(qa[3].known).toBe(false);
        expect(qa[0].known).toBe(true);
    });
    it('marks empty answers and ignores what is not a payload', () => {
        const qa = intakeQA({ concern: '  ', first_time: false, topics: [], x: null });
        expect(qa.map(q => [q.code, q.empty, q.answer])).toEqual([
            ['concern', true, []], ['first_time', false, ['Нет']], ['topics', true, []], ['x', true, []],
        ]);
        expect(intakeQA(null)).toEqual([]);
        expect(intakeQA('текст')).toEqual([]);
        expect(intakeQA([1, 2])).toEqual([]);
    });
});
