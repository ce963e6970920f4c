// An intake form's payload (models.IntakeAnswers: answers by question code — a string, a number,
// a boolean, null or a list of strings) read as questions and answers.
import { LOCALE } from '../config';

/**
 * The questions of the public intake form by code. The API stores answers by code only (the
 * site's form asks the questions); a code not listed here is shown as it is.
 */
export const INTAKE_QUESTIONS: Record<string, string> = {
    concern: 'Что вас беспокоит?',
    complaint: 'С чем вы хотите обратиться?',
    first_time: 'Вы впервые обращаетесь к психологу?',
    topics: 'Темы, которые вы хотели бы обсудить',
};

export interface QA {
    code: string;
    question: string;
    /** false when the question text is not known and the code is shown instead. */
    known: boolean;
    /** One line per item for a list; a single element otherwise. */
    answer: string[];
    /** The client left it empty. */
    empty: boolean;
}

const numberFormat = new Intl.NumberFormat(LOCALE);

function answerLines(value: unknown): string[] {
    if (value === null || value === undefined) {
        return [];
    }
    if (typeof value === 'boolean') {
        return [value ? 'Да' : 'Нет'];
    }
    if (typeof value === 'number') {
        return [numberFormat.format(value)];
    }
    if (Array.isArray(value)) {
        return value.map(v => (typeof v === 'string' ? v : JSON.stringify(v))).filter(v => v.trim() !== '');
    }
    if (typeof value === 'string') {
        return value.trim() === '' ? [] : [value];
    }
    return [JSON.stringify(value)];
}

/**
 * intakeQA lists the answers of payload: the known questions first, in the form's order, then any
 * other code in the order the payload has them. Anything that is not an object gives no answers.
 */
export function intakeQA(payload: unknown, questions: Record<string, string> = INTAKE_QUESTIONS): QA[] {
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
        return [];
    }
    const answers = payload as Record<string, unknown>;
    const order = Object.keys(questions);
    const codes = Object.keys(answers).sort((a, b) => {
        const ia = order.indexOf(a);
        const ib = order.indexOf(b);
        return (ia < 0 ? order.length : ia) - (ib < 0 ? order.length : ib);
    });
    return codes.map(code => {
        const answer = answerLines(answers[code]);
        const question = questions[code];
        return { code, question: question ?? code, known: question !== undefined, answer, empty: answer.length === 0 };
    });
}
