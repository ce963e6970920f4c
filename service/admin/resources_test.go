package admin_test

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"gorm.io/gorm/schema"

	"balance/models"
	"balance/service/admin"
)

// secretColumns are columns no resource may declare: bearer secrets and what unlocks them.
var secretColumns = map[string][]string{
	"deep_links": {"code"}, // whoever sends /start <code> uses the link
}

// foreignTables are the resources over another system's table, named our way.
var foreignTables = map[string]string{"jobs": "river_job"} // River's jobs

// TestDeclarationsNameColumnsAndHoldNoSecrets: every resource is its model's table, every field
// one of its columns, and no field is an encrypted (P2) column not marked P2, or a secret.
func TestDeclarationsNameColumnsAndHoldNoSecrets(t *testing.T) {
	cache := &sync.Map{}
	for _, res := range admin.Resources() {
		s, err := schema.Parse(res.Model, cache, schema.NamingStrategy{})
		if err != nil {
			t.Fatalf("%s: %v", res.Name, err)
		}
		if table, ok := foreignTables[res.Name]; s.Table != res.Name && (!ok || s.Table != table) {
			t.Errorf("resource %s is the model of table %s", res.Name, s.Table)
		}
		for _, f := range res.Fields {
			if f.Type == admin.References { // a join table's ids, read through Refs
				continue
			}
			col, ok := s.FieldsByDBName[f.Name]
			switch {
			case !ok:
				t.Errorf("%s.%s is not a column", res.Name, f.Name)
			case strings.EqualFold(col.TagSettings["SERIALIZER"], "fernet") && !f.P2:
				t.Errorf("%s.%s is encrypted (P2) but not declared P2", res.Name, f.Name)
			case slices.Contains(models.AuditSecretFields, f.Name) || strings.HasSuffix(f.Name, "_hash") ||
				slices.Contains(secretColumns[res.Name], f.Name):
				t.Errorf("%s.%s is a secret", res.Name, f.Name)
			}
		}
	}
}

// TestP2IsOnlyTheOwners: a P2 field is the owner's alone — no other staff role gets it among its
// fields or in its schema (the owner's every read of it is audited) — and a field limited to some
// roles reaches no other.
func TestP2IsOnlyTheOwners(t *testing.T) {
	reg, err := admin.NewRegistry(admin.Resources()...)
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []models.Role{models.RoleAssistant, models.RoleEditor} {
		roles := []models.Role{role}
		for _, res := range reg.Resources() {
			for _, f := range res.FieldsFor(roles) {
				if f.P2 || (len(f.Roles) > 0 && !slices.Contains(f.Roles, role)) {
					t.Errorf("%s sees %s.%s", role, res.Name, f.Name)
				}
			}
		}
		for _, rs := range reg.Schema(roles) {
			for _, f := range rs.Fields {
				if f.P2 {
					t.Errorf("%s's schema shows P2 field %s.%s", role, rs.Name, f.Name)
				}
			}
		}
	}
}
