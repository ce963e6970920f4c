package questions

// CrisisHelp is what the asker of a question that speaks of a crisis is shown at once, in the
// answer to the question: moderation and an answer take time that someone in crisis may not have.
type CrisisHelp struct {
	Message  string
	Contacts []CrisisContact
}

// CrisisContact is a helpline.
type CrisisContact struct {
	Name  string
	Phone string
	Hours string
}

// crisisHelp is shown with every question flagged as a crisis.
var crisisHelp = CrisisHelp{
	Message: "Похоже, сейчас вам очень тяжело. Вы не одни, и помощь доступна прямо сейчас. " +
		"Если есть опасность для жизни, обратитесь за помощью немедленно: позвоните 112. " +
		"Поговорить со специалистом можно бесплатно и анонимно по телефонам ниже. " +
		"Ваш вопрос получен, психолог увидит его в первую очередь.",
	Contacts: []CrisisContact{
		{Name: "Единый номер экстренных служб", Phone: "112", Hours: "круглосуточно"},
		{Name: "Экстренная психологическая помощь МЧС России", Phone: "+7 495 989-50-50", Hours: "круглосуточно, бесплатно"},
		{Name: "Телефон доверия для детей, подростков и их родителей", Phone: "8 800 2000-122", Hours: "круглосуточно, бесплатно"},
	},
}
