package events

import (
	"encoding/json"
	"testing"

	"github.com/google/uuid"
)

// An event job keeps its payload as one JSON string, and reads rows written with the payload as an
// object (before) to the same payload.
func TestEventJobPayloadAsText(t *testing.T) {
	t.Parallel()
	payload := `{"event_id":"01a23dc5-b7bb-772b-9f68-c45a70f7d47e","source":"<booking> & \"site\""}`
	job := eventJob{EventID: uuid.MustParse("01a23dc5-b7bb-772b-9f68-c45a70f7d47e"), Event: "lead.captured", Subscriber: "crm.timeline", Payload: payloadText(payload)}
	raw, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	var shape map[string]any
	if err := json.Unmarshal(raw, &shape); err != nil {
		t.Fatal(err)
	}
	if _, ok := shape["payload"].(string); !ok {
		t.Fatalf("payload written as %T, want a string: %s", shape["payload"], raw)
	}
	older := `{"event_id":"01a23dc5-b7bb-772b-9f68-c45a70f7d47e","event":"lead.captured","subscriber":"crm.timeline","payload":` + payload + `}`
	for name, in := range map[string]string{"as written now": string(raw), "as written before": older} {
		var got eventJob
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got.Payload) != payload || got.EventID != job.EventID || got.Event != job.Event || got.Subscriber != job.Subscriber {
			t.Errorf("%s: read %+v with payload %s", name, got, got.Payload)
		}
	}
	var bad eventJob
	if err := json.Unmarshal([]byte(`{"payload":"unterminated}`), &bad); err == nil {
		t.Error("a broken string payload was read")
	}
}
