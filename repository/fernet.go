package repository

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"

	"balance/crypto"
)

// P2 fields are tagged `gorm:"serializer:fernet"`: they are stored only as Fernet tokens made with
// the key ring of the DB that reads or writes them. Strings are encrypted as their UTF-8 bytes (so
// Python's cryptography.fernet reads them as text); any other type as its JSON encoding. A nil
// pointer, slice or map stays NULL.

// ErrNoEncryptionKeys means P2 data was read or written through a DB opened without keys.
var ErrNoEncryptionKeys = errors.New("no encryption keys configured (set BALANCE_ENCRYPTION_KEYS)")

func init() {
	schema.RegisterSerializer("fernet", fernetSerializer{})
}

type keyRingKey struct{}

func withKeyRing(ctx context.Context, ring *crypto.KeyRing) context.Context {
	if ring == nil {
		return ctx
	}
	return context.WithValue(ctx, keyRingKey{}, ring)
}

func keyRingFrom(ctx context.Context) (*crypto.KeyRing, error) {
	if ctx != nil {
		if ring, ok := ctx.Value(keyRingKey{}).(*crypto.KeyRing); ok {
			return ring, nil
		}
	}
	return nil, ErrNoEncryptionKeys
}

type fernetSerializer struct{}

// Scan decrypts a token into the field. Errors name the column, never the content.
func (fernetSerializer) Scan(ctx context.Context, field *schema.Field, dst reflect.Value, dbValue any) error {
	value := reflect.New(field.FieldType)
	if dbValue != nil {
		var token string
		switch v := dbValue.(type) {
		case string:
			token = v
		case []byte:
			token = string(v)
		default:
			return fmt.Errorf("decrypt %s: unexpected column type %T", field.DBName, dbValue)
		}
		ring, err := keyRingFrom(ctx)
		if err != nil {
			return fmt.Errorf("decrypt %s: %w", field.DBName, err)
		}
		plain, err := ring.Decrypt(token)
		if err != nil {
			return fmt.Errorf("decrypt %s: %w", field.DBName, err)
		}
		if err := decodePlain(plain, value); err != nil {
			return fmt.Errorf("decrypt %s: decode: %w", field.DBName, err)
		}
	}
	field.ReflectValueOf(ctx, dst).Set(value.Elem())
	return nil
}

// Value encrypts the field with the first key of the ring.
func (fernetSerializer) Value(ctx context.Context, field *schema.Field, _ reflect.Value, fieldValue any) (any, error) {
	rv := reflect.ValueOf(fieldValue)
	if fieldValue == nil {
		return nil, nil
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map:
		if rv.IsNil() {
			return nil, nil
		}
	}
	var plain []byte
	switch v := reflect.Indirect(rv); {
	case v.Kind() == reflect.String:
		plain = []byte(v.String())
	default:
		b, err := json.Marshal(fieldValue)
		if err != nil {
			return nil, fmt.Errorf("encrypt %s: encode: %w", field.DBName, err)
		}
		plain = b
	}
	ring, err := keyRingFrom(ctx)
	if err != nil {
		return nil, fmt.Errorf("encrypt %s: %w", field.DBName, err)
	}
	token, err := ring.Encrypt(plain)
	if err != nil {
		return nil, fmt.Errorf("encrypt %s: %w", field.DBName, err)
	}
	return token, nil
}

// decodePlain fills *dst (a pointer to the field's type) from decrypted bytes.
func decodePlain(plain []byte, dst reflect.Value) error {
	target := dst.Elem()
	if target.Kind() == reflect.Pointer {
		target.Set(reflect.New(target.Type().Elem()))
		target = target.Elem()
	}
	if target.Kind() == reflect.String {
		target.SetString(string(plain))
		return nil
	}
	return json.Unmarshal(plain, target.Addr().Interface())
}

// p2Schemas caches the models parsed by omitP2.
var p2Schemas sync.Map

// omitP2 leaves the P2 columns of model (the model q reads) out of q's SELECT: a read that does
// not return them never decrypts them, and their fields stay empty. What such a read loads is for
// reading only — written back, it would clear them; writes load every column (Update does).
func omitP2(q *gorm.DB, model any) *gorm.DB {
	s, err := schema.Parse(model, &p2Schemas, q.NamingStrategy)
	if err != nil {
		_ = q.AddError(fmt.Errorf("parse %T: %w", model, err))
		return q
	}
	var cols []string
	for _, f := range s.Fields {
		if _, ok := f.Serializer.(fernetSerializer); ok && f.DBName != "" {
			cols = append(cols, f.DBName)
		}
	}
	return q.Omit(cols...)
}
