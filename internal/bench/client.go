package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/meshwork/meshwork/internal/publish"
)

// apiClient calls the REST API the way any client would.
type apiClient struct {
	base  string
	http  *http.Client
	token string // bearer
}

// as is the same client presenting another token.
func (a *apiClient) as(token string) *apiClient {
	c := *a
	c.token = token
	return &c
}

// queryResult is the JSON answer of the query API.
type queryResult struct {
	Columns []struct{ Name, Type string } `json:"columns"`
	Rows    [][]any                       `json:"rows"`
}

func (a *apiClient) query(ctx context.Context, sqlText string) (*queryResult, error) {
	body, _ := json.Marshal(map[string]any{"sql": sqlText})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+"/api/v1/query", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("query: %s: %s", resp.Status, b)
	}
	var r queryResult
	dec := json.NewDecoder(resp.Body)
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// publish uploads a file to a table through the publish API.
func (a *apiClient) publish(ctx context.Context, table [3]string, path string, f publish.Format) (*publish.Report, error) {
	in, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	url := fmt.Sprintf("%s/api/v1/products/%s/%s/tables/%s/publish?mode=replace", a.base, table[0], table[1], table[2])
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, in)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", f.ContentType())
	req.Header.Set("Authorization", "Bearer "+a.token)
	resp, err := a.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("publish: %s: %s", resp.Status, b)
	}
	var rep publish.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, err
	}
	return &rep, nil
}
