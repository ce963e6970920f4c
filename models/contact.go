package models

import "unicode/utf8"

// ClientContact is whom a booking or a waitlist entry is for, parsed once where the request comes
// in: a name, an email and a phone, each valid when set. The layers below trust it.
type ClientContact struct {
	Name string
	// Email is empty only in a booking staff make for a client known by phone.
	Email Email
	// Phone is optional.
	Phone Phone
}

// clientNameMaxRunes bounds a client's name.
const clientNameMaxRunes = 200

// ParseClientContact parses the contact of a site form: a name and an email are required, a phone
// is optional. Errors name the request's fields (client.name, client.email, client.phone).
func ParseClientContact(name, email, phone string) (ClientContact, error) {
	if email == "" {
		return ClientContact{}, &ValidationError{Field: "client.email", Message: "must be an email address"}
	}
	return parseContact(name, email, phone)
}

// ParseStaffClientContact parses the contact staff took down: a name and an email, a phone or both.
func ParseStaffClientContact(name, email, phone string) (ClientContact, error) {
	if email == "" && phone == "" {
		return ClientContact{}, &ValidationError{Field: "client.email", Message: "an email or a phone is required"}
	}
	return parseContact(name, email, phone)
}

func parseContact(name, email, phone string) (ClientContact, error) {
	var c ClientContact
	if name == "" || utf8.RuneCountInString(name) > clientNameMaxRunes {
		return c, &ValidationError{Field: "client.name", Message: "is required, at most 200 characters"}
	}
	c.Name = name
	if email != "" {
		e, err := ParseEmail(email)
		if err != nil {
			return ClientContact{}, &ValidationError{Field: "client.email", Message: "must be an email address"}
		}
		c.Email = e
	}
	if phone != "" {
		p, err := ParsePhone(phone)
		if err != nil {
			return ClientContact{}, &ValidationError{Field: "client.phone", Message: "must be a phone number such as +7 999 123-45-67"}
		}
		c.Phone = p
	}
	return c, nil
}
