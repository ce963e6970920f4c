// The panel's layout: react-admin's responsive one (a drawer on a phone, a collapsible sidebar on
// a tablet) with a menu that adds the hand-made screens to the resources of the schema.
import CalendarIcon from '@mui/icons-material/CalendarMonth';
import type { ReactNode } from 'react';
import { Layout, Menu, useResourceDefinitions } from 'react-admin';

export function PanelMenu() {
    // The resources are registered after the schema loads; reading them re-renders the menu then.
    const resources = useResourceDefinitions();
    const calendar = !!resources.appointments?.hasList;
    return (
        <Menu>
            <Menu.DashboardItem primaryText="Главная" />
            {calendar && <Menu.Item to="/calendar" primaryText="Календарь" leftIcon={<CalendarIcon />} data-testid="menu-calendar" />}
            <Menu.ResourceItems />
        </Menu>
    );
}

export function PanelLayout({ children }: { children: ReactNode }) {
    return <Layout menu={PanelMenu}>{children}</Layout>;
}
