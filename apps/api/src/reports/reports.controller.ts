import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { PathParam } from '@reprise/common/http/path-params';
import type { Response } from 'express';
import { validationError } from '@reprise/domain/shared/errors';
import { Actor } from '../auth/actor';
import { CurrentActor, Roles } from '../auth/decorators';
import { renderReportHtml } from './report.html';
import { ReportsService, type ProvenReport } from './reports.service';

const FORMATS = ['json', 'html'] as const;

@ApiTags('reports')
@ApiBearerAuth()
@ApiResponse({ status: 401, description: 'No or bad token (problem+json)' })
@ApiResponse({ status: 403, description: 'Not a key of a tenant (problem+json)' })
@Controller('activations')
export class ReportsController {
  constructor(private readonly reports: ReportsService) {}

  @Get(':id/report')
  @Roles('dr-manager', 'scheduler', 'auditor')
  @ApiOperation({
    summary:
      'The DRP test report of an activation, rebuilt from its events (live while it runs, final once closed)',
    description:
      'Launch and closing dates, delay to first and last server available, customer number and domain, Windows/Linux split, ok/warning/failed/blocked counts, one entry per server and the corrective actions. `proof`: the signed tree head covering the activation, the inclusion proof of its last event, and `status` (`verified`, `partly-signed`, `not-yet-signed`, or `invalid` with the `problem`: the events were altered, and the HTML page says so in red at the top). `?format=html` gives a printable page with a timeline chart (restore / boot / analysis per server, RTO target as a line).',
  })
  @ApiQuery({ name: 'format', required: false, enum: FORMATS, description: 'json (default) or html' })
  @ApiProduces('application/json', 'text/html')
  @ApiResponse({ status: 200, description: 'The report (JSON, or text/html with ?format=html)' })
  @ApiResponse({ status: 400, description: 'Unknown format' })
  @ApiResponse({ status: 404, description: 'Unknown activation, or one of another tenant' })
  async report(
    @PathParam('id') id: string,
    @Query('format') format: unknown,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ProvenReport | string> {
    if (format !== undefined && !FORMATS.includes(format as (typeof FORMATS)[number])) {
      throw validationError('invalid-query', 'format must be json or html', [
        { field: 'format', message: 'must be one of json, html' },
      ]);
    }
    const { report, tenant } = await this.reports.build(actor.tenantId, id);
    res.setHeader('Cache-Control', 'no-store');
    if (format !== 'html') return report;
    res.type('text/html; charset=utf-8');
    // No external assets and no script: the page is inert.
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    return renderReportHtml(report, { timeZone: tenant.timeZone, proof: report.proof });
  }
}
