import { describe, expect, it } from 'vitest';
import type { AdminResource, AdminSchema, Verb } from '../schema/types';
import { dashboardQueries, sessionDays } from './queries';

const res = (name: string, verbs: Verb[] = ['list', 'show'], fields: string[] = ['id', 'status', 'created_at']): AdminResource => ({
    name, label: name, singular: name, verbs, actions: [],
    fields: fields.map(f => ({
        name: f, label: f, type: 'text', list: true, sortable: true, filterable: true, searchable: false, editable: false, required: false, p2: false,
    })),
});

const practice = (jobs: string): AdminSchema => ({
    resources: [
        res('services'), res('appointments', ['list', 'show', 'update']), res('payments'), res('leads'),
        res('moderation_items', ['list', 'show'], ['id', 'crisis', 'status', 'created_at']),
        res(jobs, ['list', 'show'], ['id', 'state']), res('notification_deliveries'),
    ],
});
const owner = practice('queue_jobs');
const editor: AdminSchema = {
    resources: [res('content_items'), res('moderation_items', ['list', 'show'], ['id', 'crisis', 'status', 'created_at']), res('message_templates')],
};
// 23:30 on 9 Dec in Moscow (20:30 UTC): "today" is still the 9th there.
const now = new Date('2026-12-09T20:30:00Z');

describe('dashboardQueries', () => {
    it('gives the owner every card, in order', () => {
        expect(dashboardQueries(owner, now).map(q => [q.key, q.testId, q.resource])).toEqual([
            ['sessions', 'dashboard-sessions', 'appointments'],
            ['new-bookings', 'dashboard-new-bookings', 'appointments'],
            ['payments', 'dashboard-payments', 'appointments'],
            ['moderation', 'dashboard-moderation', 'moderation_items'],
            ['leads', 'dashboard-leads', 'leads'],
            ['jobs', 'dashboard-jobs', 'queue_jobs'],
            ['deliveries', 'dashboard-deliveries', 'notification_deliveries'],
        ]);
    });
    it('gives the editor the moderation queue only', () => {
        expect(dashboardQueries(editor, now).map(q => q.key)).toEqual(['moderation']);
    });
    it('finds the job queue under either name', () => {
        expect(dashboardQueries(practice('jobs'), now).find(q => q.key === 'jobs')?.resource).toBe('jobs');
        const none = { resources: owner.resources.filter(r => r.name !== 'queue_jobs') };
        expect(dashboardQueries(none, now).map(q => q.key)).not.toContain('jobs');
    });
    it('leaves out a card whose resource the role may not list', () => {
        const noList = { resources: owner.resources.map(r => (r.name === 'leads' ? { ...r, verbs: ['show'] as Verb[] } : r)) };
        expect(dashboardQueries(noList, now).map(q => q.key)).not.toContain('leads');
    });
    it('asks for today’s and tomorrow’s active sessions in Moscow days', () => {
        expect(sessionDays(now)).toEqual({ today: '2026-12-09', tomorrow: '2026-12-10' });
        const q = dashboardQueries(owner, now).find(c => c.key === 'sessions')!;
        expect(q.filter).toEqual({
            start_at_gte: '2026-12-08T21:00:00.000Z', start_at_lte: '2026-12-10T20:59:59.999Z',
            status: ['confirmed', 'pending_payment'],
        });
        expect(q.sort).toEqual({ field: 'start_at', order: 'ASC' });
        expect(q.listPath).toContain('/appointments?');
        expect(JSON.parse(new URLSearchParams(q.listPath.split('?')[1]).get('filter')!)).toEqual({ start_at_gte: '2026-12-09', start_at_lte: '2026-12-10' });
    });
    it('asks for the bookings made in the last 7 days, newest first, when the API filters by creation time', () => {
        const q = dashboardQueries(owner, now).find(c => c.key === 'new-bookings')!;
        expect(q.filter).toEqual({ created_at_gte: '2026-12-02T20:30:00.000Z' });
        expect(q.sort).toEqual({ field: 'created_at', order: 'DESC' });
        expect(q.perPage).toBe(5);
        expect(q.linkToShow).toBe(true);
        // "Show all": the list from that Moscow day, newest first.
        const params = new URLSearchParams(q.listPath.split('?')[1]);
        expect(q.listPath.startsWith('/appointments?')).toBe(true);
        expect(JSON.parse(params.get('filter')!)).toEqual({ created_at_gte: '2026-12-02' });
        expect([params.get('sort'), params.get('order')]).toEqual(['created_at', 'DESC']);
    });
    it('asks for the newest bookings only when created_at is not filterable', () => {
        const unfiltered: AdminSchema = {
            resources: owner.resources.map(r => (r.name === 'appointments'
                ? { ...r, fields: r.fields.map(f => (f.name === 'created_at' ? { ...f, filterable: false } : f)) } : r)),
        };
        const q = dashboardQueries(unfiltered, now).find(c => c.key === 'new-bookings')!;
        expect(q.filter).toEqual({});
        expect(q.sort).toEqual({ field: 'created_at', order: 'DESC' });
        expect(q.perPage).toBe(5);
        expect(JSON.parse(new URLSearchParams(q.listPath.split('?')[1]).get('filter')!)).toEqual({});
    });
    it('asks for what waits for someone, the queue’s crisis items first', () => {
        const by = Object.fromEntries(dashboardQueries(owner, now).map(q => [q.key, q]));
        expect(by.payments.filter).toEqual({ status: 'pending_payment' });
        expect(by.moderation.filter).toEqual({ status: 'pending' });
        expect(by.moderation.sort).toEqual({ field: 'crisis', order: 'DESC' });
        expect(by.leads.filter).toEqual({ status: 'new' });
        expect(by.jobs.filter).toEqual({ state: ['retryable', 'discarded'] });
        expect(by.deliveries.filter).toEqual({ status: 'failed' });
        expect(by.leads.linkToShow).toBe(true);
    });
});
