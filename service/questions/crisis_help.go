package questions

// crisisMessage opens what the asker of a question that speaks of a crisis is shown at once, in
// the answer to the question: moderation and an answer take time that someone in crisis may not
// have.
const crisisMessage = "Похоже, сейчас вам очень тяжело. Вы не одни, и помощь доступна прямо сейчас. " +
	"Если есть опасность для жизни, обратитесь за помощью немедленно: позвоните 112. " +
	"Поговорить со специалистом можно бесплатно и анонимно по телефонам ниже. " +
	"Ваш вопрос получен, психолог увидит его в первую очередь."
