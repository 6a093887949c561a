package tune

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Liveness of running trials in a shared PostgreSQL study: each process
// refreshes the heartbeat of its running trials; a running trial whose
// heartbeat is older than staleAfter belongs to a dead process and its
// slot is claimed again.
const (
	heartbeatEvery = 10 * time.Second
	staleAfter     = 60 * time.Second
)

// Postgres is a Storage in a PostgreSQL database shared by several
// `recotem train --run-id X` processes, possibly on different hosts. Claim
// runs in a transaction holding a per-study advisory lock, so a slot is
// never handed out twice; see docs/distributed-search.md.
type Postgres struct {
	pool *pgxpool.Pool
	stop chan struct{}
	done chan struct{}

	mu      sync.Mutex
	running map[string]map[int]bool // study → trial numbers this process runs
}

const schema = `CREATE TABLE IF NOT EXISTS recotem_trials (
	study     text        NOT NULL,
	number    integer     NOT NULL,
	class     text        NOT NULL,
	state     text        NOT NULL,
	trial     jsonb       NOT NULL,
	heartbeat timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (study, number)
)`

// OpenPostgres connects to url and creates the trials table if needed.
func OpenPostgres(ctx context.Context, url string) (*Postgres, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("opening study database: %w", err)
	}
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('recotem_trials_schema'))`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, schema)
		return err
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("creating study table: %w", err)
	}
	p := &Postgres{pool: pool, stop: make(chan struct{}), done: make(chan struct{}), running: map[string]map[int]bool{}}
	go p.heartbeats()
	return p, nil
}

func (p *Postgres) heartbeats() {
	defer close(p.done)
	tick := time.NewTicker(heartbeatEvery)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		batch := map[string][]int32{}
		for study, nums := range p.running {
			for n := range nums {
				batch[study] = append(batch[study], int32(n))
			}
		}
		p.mu.Unlock()
		for study, nums := range batch {
			ctx, cancel := context.WithTimeout(context.Background(), heartbeatEvery)
			p.pool.Exec(ctx, `UPDATE recotem_trials SET heartbeat = now() WHERE study = $1 AND number = ANY($2)`, study, nums)
			cancel()
		}
	}
}

func (p *Postgres) track(study string, number int, running bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.running[study] == nil {
		p.running[study] = map[int]bool{}
	}
	if running {
		p.running[study][number] = true
	} else {
		delete(p.running[study], number)
	}
}

func scanTrials(rows pgx.Rows) ([]Trial, error) {
	defer rows.Close()
	var out []Trial
	for rows.Next() {
		var raw []byte
		var stale bool
		if err := rows.Scan(&raw, &stale); err != nil {
			return nil, err
		}
		var t Trial
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, fmt.Errorf("decoding trial: %w", err)
		}
		if t.State == Running && stale && t.Error == "" {
			t.Error = Interrupted
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

const selectTrials = `SELECT trial, (state = 'running' AND heartbeat < now() - make_interval(secs => $2))
	FROM recotem_trials WHERE study = $1 ORDER BY number`

// Load implements Storage.
func (p *Postgres) Load(ctx context.Context, study string) ([]Trial, error) {
	rows, err := p.pool.Query(ctx, selectTrials, study, staleAfter.Seconds())
	if err != nil {
		return nil, fmt.Errorf("loading trials: %w", err)
	}
	return scanTrials(rows)
}

// Claim implements Storage.
func (p *Postgres) Claim(ctx context.Context, study string, t Trial, budget int) (int, bool, error) {
	number, ok := 0, false
	err := pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('recotem_study:' || $1))`, study); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, selectTrials, study, staleAfter.Seconds())
		if err != nil {
			return err
		}
		trials, err := scanTrials(rows)
		if err != nil {
			return err
		}
		if Used(trials, t.Class) >= budget {
			return nil
		}
		for _, old := range trials {
			if old.Number >= number {
				number = old.Number + 1
			}
		}
		t.Number = number
		raw, err := json.Marshal(t)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO recotem_trials (study, number, class, state, trial) VALUES ($1, $2, $3, $4, $5)`,
			study, number, t.Class, string(t.State), raw)
		ok = err == nil
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("claiming a trial: %w", err)
	}
	if ok {
		p.track(study, number, true)
	}
	return number, ok, nil
}

// Save implements Storage.
func (p *Postgres) Save(ctx context.Context, study string, t Trial) error {
	raw, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = p.pool.Exec(ctx, `INSERT INTO recotem_trials (study, number, class, state, trial) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (study, number) DO UPDATE SET state = EXCLUDED.state, trial = EXCLUDED.trial, heartbeat = now()`,
		study, t.Number, t.Class, string(t.State), raw)
	if err != nil {
		return fmt.Errorf("saving trial %d: %w", t.Number, err)
	}
	p.track(study, t.Number, t.State == Running)
	return nil
}

// Close stops the heartbeats and closes the connection pool.
func (p *Postgres) Close() error {
	close(p.stop)
	<-p.done
	p.pool.Close()
	return nil
}
