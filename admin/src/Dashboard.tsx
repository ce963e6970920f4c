// A placeholder home screen: who is signed in and the sections the role may open. The hand-made
// dashboard (today's sessions, payments to confirm, moderation queue…) replaces it.
import { Alert, Card, CardActionArea, CardContent, Grid, Typography } from '@mui/material';
import { Link } from 'react-router-dom';
import { Title, useGetIdentity } from 'react-admin';
import { menuResources } from './schema/plan';
import { schema, schemaError } from './schema/store';

export function Dashboard() {
    const { identity } = useGetIdentity();
    const error = schemaError();
    return (
        <>
            <Title title="Главная" />
            <Typography variant="h5" component="h1" sx={{ my: 2 }}>
                {identity?.fullName ? `Здравствуйте, ${identity.fullName}` : 'Здравствуйте'}
            </Typography>
            {error && <Alert severity="error" sx={{ mb: 2 }}>{error}</Alert>}
            <Grid container spacing={2}>
                {menuResources(schema()).map(r => (
                    <Grid key={r.name} size={{ xs: 12, sm: 6, md: 4, lg: 3 }}>
                        <Card variant="outlined">
                            <CardActionArea component={Link} to={`/${r.name}`}>
                                <CardContent>
                                    <Typography variant="subtitle1" component="h2">{r.label}</Typography>
                                </CardContent>
                            </CardActionArea>
                        </Card>
                    </Grid>
                ))}
            </Grid>
        </>
    );
}
