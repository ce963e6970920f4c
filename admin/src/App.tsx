import { Admin, CustomRoutes } from 'react-admin';
import { BrowserRouter, Route } from 'react-router-dom';
import { AcceptInvitePage } from './auth/AcceptInvitePage';
import { authProvider } from './auth/authProvider';
import { LoginPage } from './auth/LoginPage';
import { clearSession } from './auth/session';
import { BASENAME } from './config';
import { customRoutes } from './custom/extensions';
import { PanelLayout } from './custom/Layout';
import { Dashboard } from './dashboard/Dashboard';
import { i18nProvider, setSchemaNames } from './i18n';
import { makeDataProvider } from './providers/dataProvider';
import { resourceElements } from './schema/screens';
import { loadSchema, resourceSchema, setSchemaError } from './schema/store';

const dataProvider = makeDataProvider(resourceSchema);

/**
 * resources is called once the user is signed in: it reads the schema of their roles and builds
 * a <Resource> per resource in it.
 */
async function resources() {
    try {
        const schema = await loadSchema();
        setSchemaNames(schema);
        return [...resourceElements(schema), ...customRoutes(schema)];
    } catch (e) {
        if ((e as { status?: number })?.status === 401) {
            // Signed out (or the session ended): react-admin's auth check shows the sign-in page.
            clearSession();
            return [];
        }
        setSchemaError('Не удалось загрузить разделы панели. Обновите страницу.');
        return [];
    }
}

export function App() {
    return (
        // Real paths (/admin/appointments/…), not hash routes: the server answers index.html for them.
        <BrowserRouter basename={BASENAME} future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>
            <Admin title="Эмоциональный баланс" dataProvider={dataProvider} authProvider={authProvider}
                i18nProvider={i18nProvider} loginPage={LoginPage} dashboard={Dashboard} layout={PanelLayout} requireAuth
                disableTelemetry>
                {/* Public, outside the layout: an invited staff member has no session yet. */}
                <CustomRoutes noLayout>
                    <Route path="/accept-invite" element={<AcceptInvitePage />} />
                </CustomRoutes>
                {resources}
            </Admin>
        </BrowserRouter>
    );
}
