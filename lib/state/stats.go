package state

import "fmt"

// Stats is a snapshot of the store for health checks (imsg-probe).
type Stats struct {
	Account         string                 `json:"account"`
	File            string                 `json:"file"`
	SchemaVersion   int                    `json:"schema_version"`
	Cursor          int64                  `json:"cursor"`
	ResumePoint     int64                  `json:"resume_point"`
	SourceIdentity  string                 `json:"source_identity,omitempty"`
	Journal         map[Status]int         `json:"journal"`
	Deliveries      map[DeliveryStatus]int `json:"deliveries"`
	EchoEntries     int                    `json:"echo_entries"`
	PendingPairings int                    `json:"pending_pairings"`
	ApprovedSenders int                    `json:"approved_senders"`
}

// Stats gathers counts from every table. It only reads: expired pairing
// requests are left in place but not counted.
func (s *Store) Stats() (Stats, error) {
	st := Stats{Account: s.account, File: s.path}
	var err error
	if st.Cursor, err = s.Cursor(); err != nil {
		return st, err
	}
	if st.ResumePoint, err = s.ResumePoint(); err != nil {
		return st, err
	}
	if st.SourceIdentity, err = s.SourceIdentity(); err != nil {
		return st, err
	}
	if st.Journal, err = s.JournalCounts(); err != nil {
		return st, err
	}
	if st.Deliveries, err = s.DeliveryCounts(); err != nil {
		return st, err
	}
	row := s.db.QueryRow(`SELECT
		(SELECT COUNT(*) FROM echo),
		(SELECT COUNT(*) FROM pairing_pending WHERE expires > ?),
		(SELECT COUNT(*) FROM pairing_approved)`, s.now())
	if err := row.Scan(&st.EchoEntries, &st.PendingPairings, &st.ApprovedSenders); err != nil {
		return st, fmt.Errorf("state: stats: %w", err)
	}
	if err := s.db.QueryRow(`PRAGMA user_version`).Scan(&st.SchemaVersion); err != nil {
		return st, fmt.Errorf("state: stats: %w", err)
	}
	return st, nil
}
