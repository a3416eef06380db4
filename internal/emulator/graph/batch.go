package graph

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
)

type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

const maxBatch = 20

// batch runs up to 20 inner GETs. Each is charged and throttled on its own, so a 200 batch can
// carry 429 items, which the client must retry itself (kiota's retry handler sees only the 200).
func (s *Server) batch(w http.ResponseWriter, r *http.Request, p Principal) {
	body, err := readBody(r)
	if err != nil {
		odataError(w, r, http.StatusBadRequest, "BadRequest", "Unable to read the request body: %v", err)
		return
	}
	var req struct {
		Requests []batchRequest `json:"requests"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		odataError(w, r, http.StatusBadRequest, "BadRequest", "Invalid batch payload: %v", err)
		return
	}
	if len(req.Requests) == 0 {
		odataError(w, r, http.StatusBadRequest, "BadRequest", "Invalid batch payload format: no requests.")
		return
	}
	if len(req.Requests) > maxBatch {
		odataError(w, r, http.StatusBadRequest, "BadRequest", "Number of batch request steps exceeds the maximum of %d.", maxBatch)
		return
	}
	seen := map[string]bool{}
	for _, br := range req.Requests {
		if br.ID == "" || seen[br.ID] {
			odataError(w, r, http.StatusBadRequest, "BadRequest", "Batch request ids must be present and unique; '%s' is not.", br.ID)
			return
		}
		seen[br.ID] = true
	}
	status := map[string]int{}
	out := make([]batchResponse, 0, len(req.Requests))
	for _, br := range req.Requests {
		resp := batchResponse{ID: br.ID}
		failedDep := false
		for _, d := range br.DependsOn {
			if st, ok := status[d]; !ok || st >= 400 {
				failedDep = true
			}
		}
		if failedDep {
			resp.Status = http.StatusFailedDependency
			resp.Body = json.RawMessage(`{"error":{"code":"FailedDependency","message":"A dependency of this request failed."}}`)
		} else {
			resp = s.inner(r, p, br)
		}
		status[br.ID] = resp.Status
		out = append(out, resp)
	}
	raw, _ := json.Marshal(map[string]any{"responses": out})
	writeJSON(w, http.StatusOK, raw)
}

func (s *Server) inner(outer *http.Request, p Principal, br batchRequest) batchResponse {
	resp := batchResponse{ID: br.ID}
	rel := strings.TrimPrefix(strings.TrimPrefix(br.URL, "/"), "v1.0/")
	u, err := url.Parse("/v1.0/" + rel)
	if err != nil || strings.HasPrefix(br.URL, "http") {
		resp.Status = http.StatusBadRequest
		resp.Body = json.RawMessage(`{"error":{"code":"BadRequest","message":"Batch request urls must be relative."}}`)
		return resp
	}
	ir, _ := http.NewRequestWithContext(outer.Context(), strings.ToUpper(br.Method), u.String(), nil)
	ir.Host = outer.Host
	for k, v := range br.Headers {
		ir.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	e := Entry{Method: ir.Method, Path: ir.URL.Path, Query: ir.URL.RawQuery, Batch: true}
	if ir.Method == http.MethodPost && strings.HasSuffix(ir.URL.Path, "$batch") {
		odataError(rec, ir, http.StatusBadRequest, "BadRequest", "Nested batches are not allowed.")
		e.Status = http.StatusBadRequest
	} else {
		s.dispatch(rec, ir, p, &e)
	}
	s.record(e)
	resp.Status = rec.Code
	resp.Headers = map[string]string{}
	for _, k := range []string{"Content-Type", "Retry-After", "x-ms-resource-unit"} {
		if v := rec.Header().Get(k); v != "" {
			resp.Headers[k] = v
		}
	}
	if rec.Body.Len() > 0 {
		resp.Body = json.RawMessage(rec.Body.Bytes())
	}
	return resp
}
